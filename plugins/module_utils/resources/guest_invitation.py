"""Guest invitation restrictions: who may invite, what guests may see, and how external users sign
in and up:
https://learn.microsoft.com/graph/api/resources/authorizationpolicy,
https://learn.microsoft.com/graph/api/resources/emailauthenticationmethodconfiguration,
https://learn.microsoft.com/graph/api/resources/authenticationflowspolicy.

The settings live in three Graph objects; a run reads and writes only the objects whose settings
it was given.  Each setting has an explicit strictness order (loosest first) so that
``strictness: at_least`` can leave a tenant alone that is already stricter than asked.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..clouds import cloud_has, unavailable_reason
from ..errors import InputError
from ..plan import Change, Plan

AUTHORIZATION = "/policies/authorizationPolicy"
EMAIL_OTP = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email"
AUTH_FLOWS = "/policies/authenticationFlowsPolicy"
EMAIL_ODATA_TYPE = "#microsoft.graph.emailAuthenticationMethodConfiguration"

# The Graph object each path belongs to, the short name used in change summaries, and what a
# PATCH of it must carry besides the changed properties (the email configuration needs @odata.type:
# https://learn.microsoft.com/graph/api/emailauthenticationmethodconfiguration-update).
OBJECTS = {
    AUTHORIZATION: ("authorizationPolicy", {}),
    EMAIL_OTP: ("email authentication method configuration", {"@odata.type": EMAIL_ODATA_TYPE}),
    AUTH_FLOWS: ("authenticationFlowsPolicy", {}),
}

# The Graph policy each object belongs to, as named in clouds.CLOUDS_BY_SETTING (China has no
# authenticationMethodsPolicy, US Gov no authenticationFlowsPolicy).
CLOUD_SETTING = {AUTHORIZATION: "authorizationPolicy", EMAIL_OTP: "authenticationMethodsPolicy",
                 AUTH_FLOWS: "authenticationFlowsPolicy"}

# The three guest roles Graph supports (https://learn.microsoft.com/en-us/graph/api/resources/authorizationpolicy).
GUEST_ROLE_IDS = {
    "same_as_members": "a0b1b346-4d3e-4e8b-98f8-753987be4970",   # User
    "limited": "10dae51f-b6af-4016-8d66-8c2a99b929b3",           # Guest User (the default)
    "restricted": "2af84b1e-32c8-42b7-82bc-daa82404023b",        # Restricted Guest User
}


@dataclass(frozen=True)
class Setting:
    """One managed setting.  ``order`` lists the option's values loosest first; ``graph`` maps
    each option value to what Graph stores; ``prop`` is the property path inside the object."""
    option: str
    path: str
    prop: tuple
    order: tuple
    graph: dict

    def to_option(self, graph_value):
        """The option value for what Graph returned, or the raw value if it is none of ours."""
        for option_value, stored in self.graph.items():
            if stored == graph_value or (isinstance(graph_value, str) and isinstance(stored, str)
                                         and stored.lower() == graph_value.lower()):
                return option_value
        return graph_value

    def rank(self, option_value) -> int | None:
        return self.order.index(option_value) if option_value in self.order else None

    def read(self, raw: dict):
        value = raw
        for key in self.prop:
            value = (value or {}).get(key)
        return self.to_option(value)

    def body(self, option_value) -> dict:
        value = self.graph[option_value]
        for key in reversed(self.prop):
            value = {key: value}
        return value


BOOLEAN = {True: True, False: False}
BOOLEAN_ORDER = (True, False)   # false is stricter: it forbids what true allows

SETTINGS = (
    Setting("allow_invites_from", AUTHORIZATION, ("allowInvitesFrom",),
            ("everyone", "admins_guest_inviters_and_all_members", "admins_and_guest_inviters", "none"),
            {"everyone": "everyone", "admins_guest_inviters_and_all_members": "adminsGuestInvitersAndAllMembers",
             "admins_and_guest_inviters": "adminsAndGuestInviters", "none": "none"}),
    Setting("guest_user_access", AUTHORIZATION, ("guestUserRoleId",),
            ("same_as_members", "limited", "restricted"), GUEST_ROLE_IDS),
    Setting("allow_email_verified_users_to_join", AUTHORIZATION, ("allowEmailVerifiedUsersToJoinOrganization",),
            BOOLEAN_ORDER, BOOLEAN),
    Setting("allowed_to_sign_up_email_based_subscriptions", AUTHORIZATION,
            ("allowedToSignUpEmailBasedSubscriptions",), BOOLEAN_ORDER, BOOLEAN),
    # "default" lets Microsoft decide (on for tenants since October 2021: https://learn.microsoft.com/entra/external-id/one-time-passcode): between the two.
    Setting("email_one_time_passcode", EMAIL_OTP, ("allowExternalIdToUseEmailOtp",),
            ("enabled", "default", "disabled"), {"enabled": "enabled", "default": "default", "disabled": "disabled"}),
    Setting("self_service_sign_up", AUTH_FLOWS, ("selfServiceSignUp", "isEnabled"), BOOLEAN_ORDER, BOOLEAN),
)
BY_OPTION = {s.option: s for s in SETTINGS}
STRICTNESS = ("exact", "at_least")


def _squash(text: str) -> str:
    return text.replace("_", "").replace("-", "").lower()


def normalise_option(setting: Setting, value):
    """The canonical option value for an input value, or None if it is not one.  Option names and
    Graph's spellings are both accepted, case-insensitively (GUIDs for the guest role)."""
    if isinstance(value, bool) or value is None:
        return value if value in setting.graph else None
    for option_value, stored in setting.graph.items():
        if _squash(str(value)) in (_squash(str(option_value)), _squash(str(stored))):
            return option_value
    return None


def objects_in_cloud(cloud: str | None) -> list:
    return [path for path in OBJECTS if cloud_has(CLOUD_SETTING[path], cloud)]


def wanted_settings(params: dict) -> dict:
    """{option: canonical value} for the settings the task gives (validated)."""
    wanted = {}
    for setting in SETTINGS:
        value = params.get(setting.option)
        if value is None:
            continue
        reason = unavailable_reason(CLOUD_SETTING[setting.path], params.get("cloud"))
        if reason:
            raise InputError(setting.option, reason)
        canonical = normalise_option(setting, value)
        if canonical is None:
            allowed = ", ".join(str(v).lower() if isinstance(v, bool) else v for v in setting.order)
            raise InputError(setting.option, f"{value!r} is not one of {allowed}")
        wanted[setting.option] = canonical
    return wanted


def validate(params: dict, tenant_id: str) -> None:
    wanted_settings(params)
    if (params.get("strictness") or "exact") not in STRICTNESS:
        raise InputError("strictness", f"{params.get('strictness')!r} is not one of {', '.join(STRICTNESS)}")


def paths_for(options) -> list:
    """The Graph objects holding the given settings, in a fixed order."""
    wanted = {BY_OPTION[o].path for o in options}
    return [path for path in OBJECTS if path in wanted]


async def read_objects(session, paths: list) -> dict:
    bodies = await asyncio.gather(*(session.graph.get(path) for path in paths))
    return dict(zip(paths, bodies))


async def read(session, params: dict) -> dict:
    return await read_objects(session, paths_for(wanted_settings(params)))


def current_settings(objects: dict, options=None) -> dict:
    """The settings held by the read objects, in the module's input shape."""
    chosen = [BY_OPTION[o] for o in options] if options is not None else SETTINGS
    return {s.option: s.read(objects[s.path]) for s in chosen if s.path in objects}


def is_stricter(setting: Setting, current, wanted) -> bool:
    current_rank, wanted_rank = setting.rank(current), setting.rank(wanted)
    return current_rank is not None and wanted_rank is not None and current_rank > wanted_rank


def plan(current: dict, params: dict, tenant_id: str) -> Plan:
    wanted = wanted_settings(params)
    at_least = params.get("strictness") == "at_least"
    before = current_settings(current, wanted)
    after, stricter, bodies = dict(before), [], {}
    for option, value in wanted.items():
        setting = BY_OPTION[option]
        if before[option] == value:
            continue
        if at_least and is_stricter(setting, before[option], value):
            stricter.append({"setting": option, "requested": value, "current": before[option]})
            continue
        after[option] = value
        _merge(bodies.setdefault(setting.path, {}), setting.body(value))
    changes = [_change(path, bodies[path], after) for path in OBJECTS if path in bodies]
    result = {"settings": after}
    if at_least:
        result["stricter_than_requested"] = stricter
    return Plan(before, after, changes, result)


def _merge(target: dict, addition: dict) -> None:
    for key, value in addition.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _change(path: str, body: dict, after: dict) -> Change:
    name, required = OBJECTS[path]
    options = [s.option for s in SETTINGS if s.path == path and s.option in after]
    changed = ", ".join(_describe(o, after[o]) for o in options if _touches(BY_OPTION[o], body))
    return Change(f"PATCH {name}: {changed}", "PATCH", path, {**required, **body})


def _touches(setting: Setting, body: dict) -> bool:
    value = body
    for key in setting.prop:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


def _describe(option: str, value) -> str:
    return f"{option}={str(value).lower() if isinstance(value, bool) else value}"


class Info:
    """The unit behind ``guest_invitation_info``: read all three objects, change nothing.

    ``settings`` is in the input shape of ``guest_invitation_settings``, so feeding it back
    reports no change; a value Graph holds that the module cannot set is left out with a warning.
    """

    @staticmethod
    def validate(params: dict, tenant_id: str) -> None:
        return None

    @staticmethod
    async def read(session, params: dict) -> dict:
        return await read_objects(session, objects_in_cloud(params.get("cloud")))

    @staticmethod
    def plan(current: dict, params: dict, tenant_id: str) -> Plan:
        found = current_settings(current)
        settings = {o: v for o, v in found.items() if v in BY_OPTION[o].graph}
        warnings = [f"{o}: Graph holds {v!r}, which this module cannot set; left out of settings"
                    for o, v in found.items() if o not in settings]
        return Plan(settings, settings, result={"settings": settings}, warnings=warnings)
