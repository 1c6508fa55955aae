"""Notifications of changes by e-mail (spec auth.md §6), sent after the transaction committed.

| situation                          | recipients                                              |
| create succeeded                   | mnt-nfy of the new object's mntners, notify of the object |
| create failed authorisation        | upd-to of the maintainers that did not authorise it      |
| modify/delete succeeded            | mnt-nfy of the current object's mntners + its notify     |
| modify/delete failed authorisation | upd-to of those maintainers + the current object's notify |
| change made with the staff override | as a change, plus mnt-nfy and upd-to of the old and new mntners |
Syntax and reference errors reach only the submitter. As RIPE does, a change made with the staff
override is notified like any other, saying so (and since mnt-nfy is optional, upd-to is told too:
every maintainer affected hears of it). One mail per recipient, grouping everything of the
submission that concerns them. A maintainer locked out after repeated failed attempts: its upd-to
(an irt's: the upd-to of the irt's maintainers).
"""
from __future__ import annotations

import difflib
import logging
from collections import defaultdict

from irr.updates.pipeline import Outcome
from irr.updates.submission import Request
from rpsl.objects import RPSLObject, parse
from rpsl.output import mask_hashes

log = logging.getLogger(__name__)
# Recipients come partly from the submitted objects themselves (notify:, the mnt-nfy: of a new
# self-maintained mntner, the mnt-by: names whose upd-to hears of failures): bounded, so that one
# submission cannot turn the registry into a mailer for thousands of chosen addresses.
MAX_RECIPIENTS = 20


class Notifier:
    def __init__(self, config, send=None):
        self.config = config
        if send is None:
            from irr.updates.mail import send_mail

            def send(to, subj, body):
                send_mail(config, to, subj, body)
        self.send = send

    def _mntner_addresses(self, lookups, source: str, names, attribute: str) -> list[str]:
        out = []
        for obj in lookups.by_keys([source], [n.upper() for n in names], ["mntner"]):
            out.extend(parse(obj.text).values(attribute))
        return out

    def targets(self, outcome: Outcome, lookups) -> dict[str, list[tuple[Request, bool]]]:
        """recipient -> [(request, succeeded)]"""
        out: dict[str, list[tuple[Request, bool]]] = defaultdict(list)
        for req in outcome.requests:
            if req.operation == "noop" or not req.source:
                continue
            old = parse(req.old_text) if req.old_text else None
            new = parse(req.new_text) if req.new_text else None
            addresses: list[str] = []
            if req.ok:
                maintained: RPSLObject | None = old if old is not None else new
                if maintained is None:
                    continue
                addresses += self._mntner_addresses(lookups, req.source, maintained.values("mnt-by"), "mnt-nfy")
                addresses += maintained.values("notify")
                if outcome.override_used:
                    affected = [n for o in (old, new) if o is not None for n in o.values("mnt-by")]
                    addresses += self._mntner_addresses(lookups, req.source, affected, "mnt-nfy")
                    addresses += self._mntner_addresses(lookups, req.source, affected, "upd-to")
            elif req.auth_failed:
                addresses += self._mntner_addresses(lookups, req.source, req.notify_on_failure, "upd-to")
                if old is not None:
                    addresses += old.values("notify")
            for address in dict.fromkeys(a.strip() for a in addresses if a.strip()):
                out[address].append((req, req.ok))
        return out

    def notify(self, outcome: Outcome, lookups) -> int:
        sent = 0
        targets = list(self.targets(outcome, lookups).items())
        if len(targets) > MAX_RECIPIENTS:
            log.warning("a submission would notify %d addresses: only the first %d are told",
                        len(targets), MAX_RECIPIENTS)
            outcome.notes.append(f"Notifications go to at most {MAX_RECIPIENTS} addresses per submission: "
                                 f"{len(targets) - MAX_RECIPIENTS} were left out.")
        for address, items in targets[:MAX_RECIPIENTS]:
            sources = "/".join(sorted({r.source for r, _ in items}))
            try:
                self.send([address], f"Notification of {sources} database changes", self.body(outcome, items))
                sent += 1
            except Exception:
                log.exception("could not send a notification to %s", address)
        return sent

    def body(self, outcome: Outcome, items: list[tuple[Request, bool]]) -> str:
        meta = outcome.submission.meta
        lines = ["This message is auto-generated.", "", "The request was made with the following details:", ""]
        lines += [f"> {k}: {v}" for k, v in meta.items() if v]
        failed = [r for r, ok in items if not ok]
        done = [r for r, ok in items if ok]
        if outcome.override_used and done:
            lines += ["", "These changes were made by the registry's staff with the override password, which "
                      "bypasses maintainer authorisation:", f"    {outcome.origin}"]
        if failed:
            lines += ["", "Some objects in which you are referenced were requested to be created, deleted or "
                      "changed, but *failed* the proper authorisation for any of the referenced maintainers.", ""]
            for req in failed:
                lines += ["---", f"{req.operation.capitalize()} FAILED AUTHORISATION for object below: "
                          f"[{req.object_class}] {req.pk}:", ""]
                lines += self._change(req, "*Rejected* new version of this object:")
        if done:
            lines += ["", "Some objects in which you are referenced have been created, deleted or changed.", ""]
            for req in done:
                lines += ["---", f"{req.operation.capitalize()} succeeded for object below: "
                          f"[{req.object_class}] {req.pk}:", ""]
                lines += self._change(req, "New version of this object:")
        return "\n".join(lines) + "\n"

    def lockout(self, crossing, body: str, lookups) -> None:
        """Tell the upd-to of a maintainer (or of an irt's maintainers) locked out after failed attempts."""
        kind, source, name = crossing.subject.split(" ", 2)
        if kind == "mntner":
            names = [name]
        else:
            found = lookups.by_key([source], name, [kind])
            names = parse(found[0].text).values("mnt-by") if found else []
        addresses = list(dict.fromkeys(a.strip() for a in self._mntner_addresses(lookups, source, names, "upd-to")
                                       if a.strip()))[:MAX_RECIPIENTS]
        for address in addresses:
            try:
                self.send([address], f"Failed attempts to authenticate as {name} ({source})", body)
            except Exception:
                log.exception("could not send a lockout notice to %s", address)

    @staticmethod
    def _change(req: Request, heading: str) -> list[str]:
        lines: list[str] = []
        old = mask_hashes(req.old_text) if req.old_text else None
        new = mask_hashes(req.new_text) if req.new_text else None
        if req.operation == "modify" and old and new:
            diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3)
            lines += [d for d in diff if not d.startswith(("---", "+++"))] + [""]
        if req.operation == "delete":
            lines += [(old or mask_hashes(req.text)).rstrip("\n"), ""]
        else:
            lines += [heading, "", (new or mask_hashes(req.text)).rstrip("\n"), ""]
        return lines
