"""RDAP (RFC 7480-7484, 9082, 9083): the registry's objects as registration data, in JSON.

The same objects whois answers with, read through irr.store and rendered as RDAP: inetnum and
inet6num as `ip network` (with `cidr0_cidrs`), aut-num and as-block as `autnum`, person, role,
organisation, mntner and irt as `entity` (jCard), reverse zones as `domain`. The modules:

- `record`: one stored object's attributes, as the renderers read them.
- `common`: links, remarks, events, status values, notices, the answer envelope, errors.
- `redaction`: what the operator keeps private (`[rdap] redact`), with RFC 9537 `redacted` members.
- `entity`, `network`, `autnum`, `domain`: one module per object class.
- `search`: RFC 9082 search patterns and bounded result lists.
- `service`: the queries themselves (store reads + renderers), independent of the web framework;
  irr.web.rdap serves them under /rdap/.
"""
from __future__ import annotations

MEDIA_TYPE = "application/rdap+json"
# rdap_level_0 (RFC 9083), cidr0 (NRO cidr0_cidrs), the RIR searches and link relations of RFC 9910,
# redacted (RFC 9537)
CONFORMANCE = ("rdap_level_0", "cidr0", "rirSearch1", "ips", "ipSearchResults", "autnums", "autnumSearchResults",
               "redacted")
