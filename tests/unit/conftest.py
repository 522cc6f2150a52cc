import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from collection_path import link_working_tree  # noqa: E402

link_working_tree()
