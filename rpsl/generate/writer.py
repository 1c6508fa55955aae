"""What a member's objects are written with: the Writer that stamps and collects them, and the
member's contacts, address and wording (MemberContext)."""
from __future__ import annotations

import random
from typing import Protocol

from rpsl.generate import quirks, words
from rpsl.generate.plan import Member, Plan, pick_geometric
from rpsl.generate.text import PAD

Obj = tuple[str, str]   # (class, text)


class Stamps(Protocol):
    """What a Writer reads from the renderer."""
    plan: Plan
    rate: float
    timestamps: list[str]
    source_line: str


class Writer:
    """Collects one member's (or the registry tier's) objects, adding last-modified, source and,
    at the oddity rate, one quirk to some of them."""

    def __init__(self, renderer: Stamps, rng: random.Random):
        self.r, self.rng = renderer, rng
        self.out: list[Obj] = []
        self.ts = rng.randrange(4096)
        self.skip = pick_geometric(rng, renderer.rate)

    def emit(self, cls: str, pairs: list[tuple[str, str]]) -> None:
        lines = [PAD[a] + v if v else a + ":" for a, v in pairs]
        self.ts = (self.ts + 61) & 4095
        lines.append(PAD["last-modified"] + self.r.timestamps[self.ts])
        lines.append(self.r.source_line)
        if self.skip == 0:
            dangling = f"ZZ{self.r.plan.handle_end + 10_000_000 + self.rng.randrange(1_000_000)}-AP"
            quirks.apply(self.rng, lines, cls, dangling)     # (a nic-hdl no object has)
            self.skip = pick_geometric(self.rng, self.r.rate)
        else:
            self.skip -= 1
        self.out.append((cls, "\n".join(lines)))


class MemberContext:
    """A member's contacts, address and wording, drawn once from its random stream."""

    def __init__(self, r: Stamps, m: Member, rng: random.Random):
        self.r, self.m, self.rng = r, m, rng
        self.vietnamese = m.vietnamese
        if m.vietnamese:
            city, districts, self.area, _ = rng.choices(words.VN_CITIES, [c[3] for c in words.VN_CITIES])[0]
            self.city = city
            self.address = [f"Số {rng.randint(1, 300)} {rng.choice(words.VN_STREETS)}", rng.choice(districts), city,
                            "Việt Nam"]
            self.address = [self.t(a) for a in self.address]
            self.districts = districts
        else:
            cities, _, _ = words.COUNTRIES[m.cc]
            self.city, postcode, self.area = rng.choice(cities)
            self.address = [f"{rng.randint(1, 400)} {rng.choice(words.STREETS)}",
                            f"{self.city} {postcode}".strip()]
        self.city_tag = "".join(ch for ch in words.fold(self.city).lower() if ch.isalnum())[:8]
        n_p, n_r = m.counts["person"], m.counts["role"]
        self.persons = []
        for k in range(n_p):
            name, email_name = self._person_name()
            initials = "".join(w[0] for w in words.fold(name).upper().split() if w[0].isalpha())[:4] or "X"
            self.persons.append((f"{initials}{m.person_base + k}-AP", name, f"{email_name}@{m.domain}"))
        self.roles = [f"{m.code[:2]}{m.person_base + n_p + k}-AP" for k in range(n_r)]
        self.admin = self.persons[0][0]
        self.tech = self.roles[0] if self.roles else self.persons[-1][0]
        self.abuse = [("abuse-c", self.roles[0])] if self.roles else []
        self.irt = f"IRT-{m.code}-{m.cc}"

    def t(self, text: str) -> str:
        """Vietnamese text as this member writes it (with or without diacritics)."""
        return text if not self.vietnamese or self.m.diacritics else words.fold(text)

    def _person_name(self) -> tuple[str, str]:
        rng = self.rng
        if self.vietnamese:
            family, middle, given = (rng.choice(words.VN_FAMILY), rng.choice(words.VN_MIDDLE),
                                     rng.choice(words.VN_GIVEN))
            name = f"{family} {middle} {given}"
            folded = words.fold(name).lower().split()
            return self.t(name), f"{folded[2]}.{folded[0]}{rng.randint(1, 99)}"
        first, last = rng.choice(words.FIRST), rng.choice(words.LAST)
        return f"{first} {last}", f"{first.lower().replace('-', '')}.{last.lower()}"

    def person_address(self) -> list[str]:
        if self.vietnamese:
            return [self.t(f"{self.rng.randint(1, 300)} {self.rng.choice(words.VN_STREETS)}"),
                    self.t(self.rng.choice(self.districts)), self.address[2], self.address[3]]
        return self.address

    def phone(self) -> str:
        digits = f"{self.rng.randrange(10 ** 7):07d}"
        if self.vietnamese:
            return f"+84-{self.area}-{digits[:4]}-{digits[4:]}"
        return f"{self.area}-{digits[:3]}-{digits[3:]}"

    def service(self, k: int) -> str:
        if self.vietnamese:
            return self.t(f"Khách hàng {words.VN_SERVICES[k % len(words.VN_SERVICES)]} - {self.m.name}")
        return f"{words.SERVICES[k % len(words.SERVICES)]} customers of {self.m.name}"
