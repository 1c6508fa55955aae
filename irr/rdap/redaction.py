"""Registration data the operator keeps private (`[rdap] redact = ["person.e-mail", ...]`), removed
from entities with an RFC 9537 `redacted` member naming what was taken out and where (JSONPath).

Each redactable attribute becomes one jCard property (or remark); the path selects exactly the
properties that attribute makes: `e-mail` is a plain email property, `abuse-mailbox` an email
property with a `pref` parameter, `phone` and `fax-no` tel properties of type voice and fax. Names
(`person`, `role`, `org-name`, ...) can't be removed (a vCard must have a name): their fn is
emptied (method emptyValue).
"""
from __future__ import annotations

from irr.rdap.common import Context

# attribute -> JSONPath filter (inside vcardArray[1]) selecting the properties it produces
VCARD_FILTERS = {
    "address": "@[0]=='adr'",
    "phone": "@[0]=='tel' && @[1].type=='voice'",
    "fax-no": "@[0]=='tel' && @[1].type=='fax'",
    "e-mail": "@[0]=='email' && !@[1].pref",
    "abuse-mailbox": "@[0]=='email' && @[1].pref=='1'",
}
NAME_ATTRIBUTES = {"person": "person", "role": "role", "organisation": "org-name", "irt": "irt", "mntner": "mntner"}
REMARK_TITLES = {"descr": "description", "remarks": "remarks"}
REASON = {"description": "Server policy: the registry does not publish this data"}


def hidden(ctx: Context, object_class: str) -> frozenset[str]:
    """The attributes of `object_class` configured as private."""
    prefix = object_class + "."
    return frozenset(item[len(prefix):] for item in ctx.config.redact if item.startswith(prefix))


def quoted(handle: str) -> str:
    """A handle as a JSONPath string literal."""
    return "'" + handle.replace("\\", "\\\\").replace("'", "\\'") + "'"


def record(ctx: Context, path: str, object_class: str, attribute: str) -> None:
    """Note that `attribute` of the entity at JSONPath `path` was redacted."""
    name = {"description": f"{object_class} {attribute}"}
    if attribute == NAME_ATTRIBUTES.get(object_class):
        entry = {"name": name, "postPath": f"{path}.vcardArray[1][?(@[0]=='fn')][3]", "pathLang": "jsonpath",
                 "method": "emptyValue", "reason": REASON}
    elif attribute in VCARD_FILTERS:
        entry = {"name": name, "prePath": f"{path}.vcardArray[1][?({VCARD_FILTERS[attribute]})]",
                 "pathLang": "jsonpath", "method": "removal", "reason": REASON}
    elif attribute in REMARK_TITLES:
        entry = {"name": name, "prePath": f"{path}.remarks[?(@.title=='{REMARK_TITLES[attribute]}')]",
                 "pathLang": "jsonpath", "method": "removal", "reason": REASON}
    else:
        return  # an attribute RDAP never shows: nothing was removed
    if entry not in ctx.redacted:
        ctx.redacted.append(entry)
