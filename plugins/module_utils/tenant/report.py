"""What a fleet run tells the user about one tenant: a line per changed setting, the values left
alone because the tenant is stricter, and a diff hunk per changed object naming it."""
from __future__ import annotations

from .unit import TenantPlan


def render(value) -> str:
    """A setting value in one short line: ``allowed AllUsers``, ``blocked group:1a2b…``."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict) and set(value) == {"access_type", "targets"}:
        targets = [t["target"] if t.get("target_type") in (None, "application") or not _is_id(t["target"])
                   else f"{t['target_type']}:{t['target']}" for t in value["targets"] or []]
        return f"{value['access_type']} {', '.join(targets)}".strip()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return str(value)


def _is_id(target: str) -> bool:
    return "-" in target and len(target) == 36


def leaf_changes(path: str, before, after) -> list:
    """[(path, before, after)] down to the smallest setting that differs."""
    if before == after:
        return []
    is_half = isinstance(after, dict) and set(after) == {"access_type", "targets"}
    if isinstance(before, dict) and isinstance(after, dict) and not is_half:
        changes = []
        for key in [*after, *(k for k in before if k not in after)]:
            if key == "partner":
                continue
            changes += leaf_changes(f"{path}.{key}" if path else key, before.get(key), after.get(key))
        return changes
    return [(path, before, after)]


def setting_changes(tenant_plan: TenantPlan) -> list:
    """Every changed setting of the tenant: ``{"setting", "before", "after"}``, values rendered."""
    out = []
    for part in tenant_plan.changed_parts:
        before, after = part.plan.before, part.plan.after
        if part.name == "guest_visibility":
            counts = part.plan.result.get("counts", {})
            out.append({"setting": "guest_visibility",
                        "before": f"{before.get('hidden', 0)} hidden, {before.get('visible', 0)} visible",
                        "after": f"{after.get('hidden', 0)} hidden, {after.get('visible', 0)} visible "
                                 f"({counts.get('to_hide', 0)} to hide, {counts.get('to_show', 0)} to show)"})
            continue
        if not after and before:
            out.append({"setting": part.name, "before": "present", "after": "removed"})
            continue
        if not before and part.name.startswith("partners["):
            out.append({"setting": part.name, "before": "absent", "after": "created"})
        for path, old, new in leaf_changes(part.name, before, after):
            out.append({"setting": path, "before": render(old), "after": render(new)})
    return out


def stricter_notes(tenant_plan: TenantPlan) -> list:
    notes = []
    for part in tenant_plan.parts:
        for item in part.plan.result.get("stricter_than_requested", []) or []:
            notes.append({"setting": f"{part.name}.{item['setting']}", "current": render(item["current"]),
                          "requested": render(item["requested"])})
    return notes


def lines(tenant: str, result: dict, check_mode: bool) -> list:
    """The lines shown at normal verbosity for one tenant."""
    arrow = "→"
    verb = " (check mode)" if check_mode else ""
    out = [f"{tenant}{verb}: {c['setting']}: {c['before']} {arrow} {c['after']}"
           for c in result.get("settings_changed", [])]
    if check_mode:  # what a plan reader needs; an apply that changes nothing stays quiet
        out += [f"{tenant}: {n['setting']}: left at {n['current']}, stricter than the requested {n['requested']}"
                for n in result.get("stricter_than_requested", [])]
        out += [f"{tenant}: {note}" for note in result.get("skipped_entries", [])]
    return out


def _is_half(value) -> bool:
    return isinstance(value, dict) and set(value) == {"access_type", "targets"}


def flatten(value, path: str = "") -> list:
    """``path: value`` lines down to each setting (a targets half is one line)."""
    if isinstance(value, dict) and value and not _is_half(value):
        lines_ = []
        for key, item in value.items():
            if key != "partner":
                lines_ += flatten(item, f"{path}.{key}" if path else str(key))
        return lines_
    return [f"{path}: {render(value)}"]


def _text(value) -> str:
    if value in ({}, None):
        return ""
    return "\n".join(flatten(value)) + "\n"


def diff(tenant: str, tenant_plan: TenantPlan) -> list:
    """One diff hunk per changed object, headed with the tenant and the object's path."""
    hunks = []
    for part in tenant_plan.changed_parts:
        name = part.name or "allowed_cloud_endpoints"
        if part.plan.diff is not None:
            before, after = part.plan.diff["before"], part.plan.diff["after"]
        else:
            before, after = part.plan.before, part.plan.after
        hunks.append({"before_header": f"{tenant}: {name}", "after_header": f"{tenant}: {name}",
                      "before": _text(before), "after": _text(after)})
    return hunks
