"""A PGP-signed message is applied once. The keyring refuses signatures made too long ago or dated
ahead (irr.auth.pgp, [updates] pgp_max_age / pgp_max_future, RIPE-style); within that window every
signature a real submission carries is claimed in PostgreSQL before anything is checked, whatever
the channel (e-mail, web form); a dry run only looks (it applies nothing: preview, then submit). A
signature used before (the same signer, signing time and signed bytes) no longer counts, and the
objects it covered are refused with the reason: someone re-sending an old signed mail, after the
signer changed the object again, changes nothing."""
from __future__ import annotations

import logging

from irr.store.security import SecurityStore

log = logging.getLogger(__name__)


def claim_signatures(security: SecurityStore, requests: list, origin: str, keep: float, dry_run: bool = False) -> int:
    """Claim the signatures of the requests (a dry run only looks: it applies nothing, so a preview
    followed by the real submission works); refuse the requests whose signature was used before.
    Returns how many signatures were replayed."""
    signers = {}
    for req in requests:
        for signer in req.signers:
            signature_id = getattr(signer, "signature_id", None)
            if signature_id is not None:
                signers[signature_id] = signer
    if not signers:
        return 0
    if dry_run:
        earlier = security.used_signatures(list(signers))
    else:
        earlier = security.claim_signatures([(sid, str(s), s.signed_at) for sid, s in signers.items()], origin, keep)
    for req in requests:
        replayed = [s for s in req.signers if getattr(s, "signature_id", None) in earlier]
        if not replayed:
            continue
        req.signers = frozenset(s for s in req.signers if s not in replayed)
        for signer in replayed:
            first = earlier[signer.signature_id]
            req.errors.append(
                f"This object came in a part PGP-signed by key {signer} at {signer.signed_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"and that same signature was already submitted at {first.used_at:%Y-%m-%d %H:%M:%S} UTC: a signed "
                "message is accepted only once, so this copy was not processed. Sign the change again to submit "
                "it again.")
    for signer in (signers[sid] for sid in earlier):
        log.warning("replayed PGP signature by %s (signed %s) refused (%s)", signer, signer.signed_at, origin)
    if earlier:
        security.count("irr_pgp_signatures_refused_total", "replayed", len(earlier))
    return len(earlier)
