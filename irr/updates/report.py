"""What a submitter gets back: IRRd's e-mail acknowledgement (spec auth.md §5.1) or IRRd's
/v1/submit/ JSON. Password hashes are masked in every object shown."""
from __future__ import annotations

from irr.updates.pipeline import Outcome
from irr.updates.submission import Request
from rpsl.output import mask_hashes

RULE = "~" * 52
MAX_QUOTED_PARAGRAPHS, MAX_QUOTED_LINES = 3, 5   # of text that is not an object, echoed in a reply
_TYPES = ("create", "modify", "delete")


def _kind(req: Request) -> str:
    """noop counts as a (successful) modification, as IRRd reports it."""
    return "modify" if req.operation == "noop" else (req.operation or "create")


def counts(outcome: Outcome) -> dict[str, int]:
    out = {"objects_found": len(outcome.requests), "successful": 0, "failed": 0}
    for t in _TYPES:
        out[f"successful_{t}"] = out[f"failed_{t}"] = 0
    for req in outcome.requests:
        state = "successful" if req.ok else "failed"
        out[state] += 1
        out[f"{state}_{_kind(req)}"] += 1
    return out


def subject(outcome: Outcome, original: str) -> str:
    return f"{'SUCCESS' if outcome.successful else 'FAILED'}: {original}".rstrip()


def email_reply(outcome: Outcome) -> str:
    """The acknowledgement mail body."""
    c = counts(outcome)
    meta = outcome.submission.meta
    lines = [""]
    for key in ("Message-ID", "From", "Date", "Subject"):
        if meta.get(key):
            lines.append(f"> {key}: {meta[key]}")
    lines += ["", "", "SUMMARY OF UPDATE:", ""]
    lines.append(f"Number of objects found:                  {c['objects_found']:3}")
    lines.append(f"Number of objects processed successfully: {c['successful']:3}")
    for t in _TYPES:
        lines.append(f"    {t.capitalize()}:      {c['successful_' + t]:3}")
    lines.append(f"Number of objects processed with errors:  {c['failed']:3}")
    for t in _TYPES:
        lines.append(f"    {t.capitalize()}:      {c['failed_' + t]:3}")
    lines += ["", "DETAILED EXPLANATION:", ""]
    if outcome.dry_run:
        lines += ["This was a dry run: nothing was saved.", ""]
    if not outcome.requests:
        lines += ["No objects were found in your message.", ""]
    lines.append(RULE)
    for req in outcome.requests:
        what = f"[{req.object_class or '(unreadable object class)'}] {req.pk or '(unreadable object key)'}"
        lines += ["---", f"{_kind(req).capitalize()} {'succeeded' if req.ok else 'FAILED'}: {what}", ""]
        if req.errors or req.infos:
            text = req.text if not req.ok else (req.new_text or req.text)
            lines += [mask_hashes(text).rstrip("\n"), ""]
            lines += [f"ERROR: {e}" for e in req.errors] + [f"INFO: {i}" for i in req.infos] + [""]
    lines.append(RULE)
    lines += [f"NOTE: {n}" for n in outcome.notes]
    ignored = outcome.submission.ignored
    if ignored:
        # quoted briefly: a reply must not carry whatever text a forged sender wants delivered
        lines += ["", "The following paragraph(s) are not RPSL objects and were NOT PROCESSED:", ""]
        for para in ignored[:MAX_QUOTED_PARAGRAPHS]:
            para_lines = mask_hashes(para).split("\n")
            lines += [line[:80] for line in para_lines[:MAX_QUOTED_LINES]]
            if len(para_lines) > MAX_QUOTED_LINES:
                lines.append(f"[... {len(para_lines) - MAX_QUOTED_LINES} more lines]")
            lines.append("")
        if len(ignored) > MAX_QUOTED_PARAGRAPHS:
            lines += [f"[... {len(ignored) - MAX_QUOTED_PARAGRAPHS} more paragraphs]", ""]
    return "\n".join(lines) + "\n"


def api_reply(outcome: Outcome) -> dict:
    """IRRd's /v1/submit/ response."""
    return {
        "request_meta": dict(outcome.submission.meta),
        "summary": counts(outcome),
        "dry_run": outcome.dry_run,
        "objects": [{
            "successful": req.ok,
            "type": _kind(req),
            "object_class": req.object_class,
            "rpsl_pk": req.pk,
            "info_messages": list(req.infos),
            "error_messages": list(req.errors),
            "new_object_text": mask_hashes(req.new_text) if req.ok and req.new_text else None,
            "submitted_object_text": mask_hashes(req.text),
            "serial": req.serial,
        } for req in outcome.requests],
    }
