from ansible_collections.tenantops.entra.plugins.module_utils.compare import (as_set, canonical_choice, canonical_id,
                                                                              changed_keys, is_guid)

GUID = "2C2D083E-1B64-4A26-8665-2C9136DA5844"


def test_is_guid_accepts_any_case_and_rejects_near_misses():
    assert is_guid(GUID) and is_guid(GUID.lower())
    assert not is_guid(GUID[:-1])
    assert not is_guid("{" + GUID + "}")
    assert not is_guid(None)


def test_canonical_id_lowercases_guids_only():
    assert canonical_id(GUID) == GUID.lower()
    assert canonical_id("AllUsers") == "AllUsers"


def test_canonical_choice_returns_the_official_spelling():
    assert canonical_choice(" BLOCKED ", ("allowed", "blocked")) == "blocked"
    assert canonical_choice("allusers", ("AllUsers",)) == "AllUsers"
    assert canonical_choice("nope", ("allowed",)) is None
    assert canonical_choice(3, ("allowed",)) is None


def test_as_set_ignores_order_and_duplicates():
    first = as_set([{"a": 2}, {"a": 1}, {"a": 2}])
    assert first == as_set([{"a": 1}, {"a": 2}]) == [{"a": 1}, {"a": 2}]


def test_changed_keys_lists_only_keys_that_differ():
    assert changed_keys({"a": 1, "b": [1]}, {"a": 1, "b": [2], "c": None}) == ["b"]
    assert changed_keys({"a": {"x": 1}}, {"a": {"x": 1}}) == []
