"""The web interface in a real browser: Playwright drives Debian's headless Chromium, with
JavaScript switched off, against the real app (werkzeug in a thread) on a real PostgreSQL with the
update_helpers registry. Every flow runs in English and, after the visible language switch, in
Vietnamese; each page is saved to test-artifacts/screenshots/. Then: the web form, e-mail and the
HTTP API make the same journal entries and notifications; CSRF; passwords never come back."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from irr.store import Change
from rpsl.lenient import load
from tests.conftest import cloned_store
from tests.update_helpers import ROUTE, ROUTE6
from tests.web_helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Site, serve

TEXT = {
    "en": {"search": "Search", "results": "Results for", "created": "Object created", "modified": "Object modified",
           "deleted": "Object deleted", "preview": "Preview", "members": "Resolved members", "history": "History",
           "mandatory": "mandatory attribute 'descr' is missing", "auth": "Authentication"},
    "vi": {"search": "Tìm kiếm", "results": "Kết quả cho", "created": "Đã tạo đối tượng",
           "modified": "Đã sửa đối tượng", "deleted": "Đã xoá đối tượng", "preview": "Xem trước",
           "members": "Các thành viên sau khi phân giải", "history": "Lịch sử",
           "mandatory": "mandatory attribute 'descr' is missing", "auth": "Xác thực"},
}
AS_SET = ("as-set:         AS64500:AS-CUSTOMERS\ndescr:          Customers\nmembers:        AS64501, AS64500:AS-MORE\n"
          "tech-c:         NVA1-VN\nadmin-c:        NVA1-VN\nmnt-by:         MAINT-MEMBER\nsource:         VNNIC\n")
AS_SET_MORE = ("as-set:         AS64500:AS-MORE\ndescr:          More\nmembers:        AS64502\n"
               "tech-c:         NVA1-VN\nadmin-c:        NVA1-VN\nmnt-by:         MAINT-MEMBER\nsource:         VNNIC\n")
ROUTE_SET = ("route-set:      AS64500:RS-ROUTES\ndescr:          Routes\nmembers:        192.0.2.0/24, AS64501\n"
             "tech-c:         NVA1-VN\nadmin-c:        NVA1-VN\nmnt-by:         MAINT-MEMBER\nsource:         VNNIC\n")
OTHER_ROUTE = ROUTE.replace("203.0.113.0/24", "198.51.100.0/24").replace("AS64500", "AS64501").replace(
    "MAINT-MEMBER", "MAINT-OTHER")
IMPORTS = ["from AS64501 accept AS64501", "from AS64502 accept AS64500:AS-MORE", "from AS64503 accept ANY"]


# -- fixtures and helpers ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(store, tmp_path) -> Iterator[Site]:
    with serve(store, tmp_path) as s:
        yield s


def new_page(browser: Browser, site: Site, lang: str) -> Page:
    """A page without JavaScript; for Vietnamese, switched with the visible language link."""
    context = browser.new_context(locale="en-US", java_script_enabled=False, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10000)
    page.goto(site.url + "/search")
    if lang == "vi":
        with page.expect_navigation():
            page.click("#lang-vi")
        expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text(TEXT[lang]["search"])
    return page


@pytest.fixture(params=["en", "vi"])
def lang(request) -> str:
    return request.param


@pytest.fixture
def page(browser, site, lang) -> Iterator[Page]:
    p = new_page(browser, site, lang)
    yield p
    p.context.close()


def shot(page: Page, name: str, lang: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)


def press(page: Page, selector: str) -> None:
    """Click a button or link that loads a page."""
    with page.expect_navigation():
        page.click(selector)


def rows(page: Page, name: str):
    return page.locator("div.row").filter(has=page.locator(f"input[name=attr][value='{name}']"))


def fill_row(page: Page, name: str, value: str, nth: int = 0) -> None:
    rows(page, name).nth(nth).locator("[name=value]").fill(value)


def search(page: Page, query: str) -> None:
    if page.locator("#q").count() == 0:
        press(page, "header nav a[href='/search']")
    page.fill("#q", query)
    with page.expect_navigation():
        page.press("#q", "Enter")


def add(site: Site, *texts: str) -> None:
    site.store.apply([Change("VNNIC", "ADD", load(t)) for t in texts], origin="test")


def submit_text(site: Site, text: str):
    from irr.updates.submission import from_texts

    outcome = site.pipeline.process(from_texts([(text, frozenset())]), origin="test")
    assert outcome.successful, [r.errors for r in outcome.requests]


def fill_route_form(page: Page, route: str = ROUTE) -> None:
    for line in route.strip().split("\n"):
        name, value = line.split(":", 1)
        fill_row(page, name, value.strip())


# -- the flows, in English and in Vietnamese -------------------------------------------------------
def test_search_and_follow_references(page, site, lang):
    add(site, AS_SET_MORE, AS_SET, ROUTE_SET, OTHER_ROUTE)
    search(page, "AS64500")
    expect(page.locator("#results")).to_contain_text(TEXT[lang]["results"])
    card = page.locator("article.card").first
    expect(card.locator("h3")).to_contain_text("aut-num")
    shot(page, "01-search-as-number", lang)
    press(page, "article.card >> nth=0 >> a:text-is('MAINT-MEMBER') >> nth=0")
    expect(page.locator("h1")).to_contain_text("MAINT-MEMBER")
    assert "DummyValue" in page.content() and "$2b$" not in page.content()
    shot(page, "02-object-mntner", lang)
    press(page, "pre.rpsl a:text-is('NVA1-VN') >> nth=0")
    expect(page.locator("h1")).to_contain_text("NVA1-VN")
    expect(page.locator("pre.rpsl")).to_contain_text("Nguyễn Văn An")
    shot(page, "03-object-person", lang)
    search(page, "203.0.113.7")
    expect(page.locator("article.card h3").first).to_contain_text("203.0.113.0 - 203.0.113.255")
    shot(page, "04-search-address", lang)
    search(page, "AS64500:AS-CUSTOMERS")
    press(page, "article.card >> nth=0 >> h3 a")
    press(page, "#show-members")
    expect(page.locator("#members-heading")).to_have_text(TEXT[lang]["members"])
    expect(page.locator("ul.members li")).to_have_text(["AS64501", "AS64502"])
    shot(page, "05-as-set-members", lang)
    press(page, "pre.rpsl a:text-is('AS64500:AS-MORE')")   # a member that is a set: a link too
    expect(page.locator("h1")).to_contain_text("AS64500:AS-MORE")
    search(page, "AS64500:RS-ROUTES")
    press(page, "article.card a.show-members")
    expect(page.locator("ul.members li")).to_have_text(["192.0.2.0/24", "198.51.100.0/24"])
    shot(page, "06-route-set-members", lang)


def test_create_route_and_route6_with_a_password(page, site, lang):
    press(page, "header nav a[href='/create']")
    shot(page, "07-create-choose-class", lang)
    press(page, "#create-route")
    expect(page.locator("label[for=value-0]")).to_contain_text("route")
    shot(page, "08-create-route-form", lang)
    fill_route_form(page)
    page.fill("#password-1", "member-pw")
    press(page, "#preview")
    expect(page.locator("#normalised")).to_contain_text("route:          203.0.113.0/24")
    expect(page.locator("pre.diff ins").first).to_contain_text("+ route:")
    expect(page.locator("#outcome h2")).to_contain_text(TEXT[lang]["preview"])
    assert page.input_value("#password-1") == ""  # never sent back
    assert site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    shot(page, "09-create-route-preview", lang)
    page.fill("#password-1", "member-pw")
    press(page, "#submit")
    expect(page.locator(".flash")).to_contain_text(TEXT[lang]["created"])
    expect(page.locator("h1")).to_contain_text("203.0.113.0/24AS64500")
    shot(page, "10-route-created", lang)
    assert site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is not None
    assert any("Create succeeded" in b for b in site.sent.to("nfy@member.example"))

    # route6 through the "edit as RPSL text" alternative
    page.goto(site.url + "/create/route6")
    press(page, "#to-text")
    expect(page.locator("#rpsl")).to_have_value(re.compile(r"^route6:\s*\n", re.M))
    page.fill("#rpsl", ROUTE6)
    page.fill("#password-1", "member-pw")
    shot(page, "11-create-route6-as-text", lang)
    press(page, "#submit")
    expect(page.locator(".flash")).to_contain_text(TEXT[lang]["created"])
    expect(page.locator("h1")).to_contain_text("2001:DB8::/32AS64500")
    shot(page, "12-route6-created", lang)


def test_modify_aut_num_with_several_import_lines(page, site, lang):
    page.goto(site.url + "/object/VNNIC/aut-num/AS64500")
    press(page, "#modify")
    expect(page.locator("#value-0")).to_have_attribute("readonly", "")  # the key stays
    page.select_option("#new-attr", "import")
    press(page, "#add-attr")
    assert rows(page, "import").count() == 1
    fill_row(page, "import", IMPORTS[0])
    for n in (1, 2, 3):  # + under the last import row, three times, then remove one
        press(page, f"div.row:has(input[value=import]) >> nth={n - 1} >> button[value^='add:']")
        fill_row(page, "import", IMPORTS[n] if n < 3 else "from AS64999 accept ANY", n)
    shot(page, "13-modify-aut-num-rows", lang)
    press(page, "div.row:has(input[value=import]) >> nth=3 >> button[value^='remove:']")
    assert [rows(page, "import").nth(i).locator("input[name=value]").input_value() for i in range(3)] == IMPORTS
    page.fill("#password-1", "member-pw")
    press(page, "#preview")
    expect(page.locator("pre.diff ins")).to_contain_text([f"+ import:         {i}" for i in IMPORTS] + ["last-modified"])
    shot(page, "14-modify-aut-num-preview", lang)
    page.fill("#password-1", "member-pw")
    press(page, "#submit")
    expect(page.locator(".flash")).to_contain_text(TEXT[lang]["modified"])
    text = site.store.get("VNNIC", "aut-num", "AS64500").object_text
    assert re.findall(r"^import:\s+(.*)$", text, re.M) == IMPORTS
    expect(page.locator("pre.rpsl a:text-is('AS64500:AS-MORE')")).to_have_count(0)  # no such object: no link
    expect(page.locator("pre.rpsl a:text-is('AS64501')")).to_have_count(2)            # policy references link
    shot(page, "15-aut-num-modified", lang)
    press(page, "#history")
    expect(page.locator("h1")).to_contain_text(TEXT[lang]["history"])
    expect(page.locator("pre.diff ins").first).to_contain_text("import:")
    shot(page, "16-history-diff", lang)


def test_delete_an_object(page, site, lang):
    submit_text(site, "password: member-pw\n\n" + ROUTE)
    page.goto(site.url + "/object/VNNIC/route/203.0.113.0/24AS64500")
    press(page, "#delete")
    page.fill("#reason", "withdrawn")
    page.fill("#password-1", "member-pw")
    press(page, "#preview")
    expect(page.locator("pre.diff del").first).to_contain_text("- route:")
    shot(page, "17-delete-preview", lang)
    page.fill("#password-1", "member-pw")
    press(page, "#submit")
    expect(page.locator(".flash")).to_contain_text(TEXT[lang]["deleted"])
    expect(page.locator("pre.diff del").first).to_contain_text("- route:")   # the last version: gone
    shot(page, "18-deleted-history", lang)
    assert site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    assert site.store.journal("VNNIC")[-1].operation == "DEL"


def test_wrong_password_and_bad_values_shown_beside_their_fields(page, site, lang):
    page.goto(site.url + "/create/route")
    fill_route_form(page)
    fill_row(page, "descr", "")
    fill_row(page, "origin", "ASX")
    page.fill("#password-1", "wrong")
    press(page, "#submit")
    expect(rows(page, "origin").locator(".error")).to_be_visible()
    expect(rows(page, "descr").locator(".error")).to_contain_text(TEXT[lang]["mandatory"])
    expect(page.locator("#error-summary")).to_be_visible()
    shot(page, "19-field-errors", lang)
    fill_row(page, "descr", "Member prefix")
    fill_row(page, "origin", "AS64500")
    page.fill("#password-1", "wrong")
    press(page, "#submit")
    error = page.locator("#password-error")
    expect(error).to_contain_text("not authenticated by: MAINT-MEMBER")
    expect(page.locator("#password-1")).to_have_attribute("aria-invalid", "true")
    field, box = page.locator("#password-1").bounding_box(), error.bounding_box()
    assert 0 <= box["y"] - (field["y"] + field["height"]) < 60, (field, box)  # right below the field
    shot(page, "20-wrong-password", lang)
    assert site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    assert any("FAILED AUTHORISATION" in b for b in site.sent.to("upd@member.example"))


# -- one pipeline whatever the channel ------------------------------------------------------------
def _normalised(text: str) -> str:
    text = re.sub(r"(last-modified:\s+)\S+", r"\1<now>", text)
    return "\n".join(line for line in text.split("\n") if not line.startswith("> "))


def _record(site: Site) -> tuple[list, list]:
    journal = [(j.serial, j.operation, j.object_class, j.pk, _normalised(j.object_text))
               for j in site.store.journal("VNNIC") if j.origin != "test setup"]
    mails = sorted((tuple(to), subject, _normalised(body)) for to, subject, body in site.sent.mails)
    return journal, mails


def _autnum_with_imports(site: Site) -> str:
    text = site.store.get("VNNIC", "aut-num", "AS64500").object_text
    imports = "".join(f"import:         {i}\n" for i in IMPORTS)
    return re.sub(r"^(country:.*\n)", lambda m: m.group(1) + imports, text, flags=re.M)


def test_web_email_and_api_make_the_same_journal_and_notifications(browser, pg_server_url, template_db, tmp_path):
    """The same four changes (create a route, modify an aut-num, a refused route in another
    member's space, delete the route) through each channel, each on its own fresh registry."""
    from irr.updates.service import handle_email
    from tests.mail_helpers import mutt_inline

    foreign = ROUTE.replace("203.0.113.0/24", "198.51.100.0/24")
    records = {}
    with cloned_store(pg_server_url, template_db) as store, serve(store, tmp_path / "web") as site:
        page = new_page(browser, site, "en")
        page.goto(site.url + "/create/route")
        fill_route_form(page)
        page.fill("#password-1", "member-pw")
        press(page, "#submit")
        page.goto(site.url + "/modify/VNNIC/aut-num/AS64500")
        for n, line in enumerate(IMPORTS):
            page.select_option("#new-attr", "import")
            press(page, "#add-attr")
            fill_row(page, "import", line, n)
        page.fill("#password-1", "member-pw")
        press(page, "#submit")
        page.goto(site.url + "/create/route")
        fill_route_form(page, foreign)
        page.fill("#password-1", "member-pw")
        press(page, "#submit")
        expect(page.locator("#password-error")).to_be_visible()
        page.goto(site.url + "/delete/VNNIC/route/203.0.113.0/24AS64500")
        page.fill("#reason", "withdrawn")
        page.fill("#password-1", "member-pw")
        press(page, "#submit")
        expect(page.locator(".flash")).to_be_visible()
        page.context.close()
        records["web"] = _record(site)

    with cloned_store(pg_server_url, template_db) as store, serve(store, tmp_path / "mail") as site:
        member = ("Nguyễn Văn An", "an@member.example")
        for body in (ROUTE, _autnum_with_imports(site), foreign, ROUTE + "delete: withdrawn\n"):
            raw = mutt_inline(member, "auto-dbm@vnnic.example", "change", "password: member-pw\n\n" + body)
            handle_email(raw, site.config, site.store, site.pipeline, reply=False)
        records["email"] = _record(site)

    with cloned_store(pg_server_url, template_db) as store, serve(store, tmp_path / "api") as site:
        client = site.app.test_client()
        for body in (ROUTE, _autnum_with_imports(site), foreign):
            client.post("/v1/submit/", json={"objects": [{"object_text": body}], "passwords": ["member-pw"]})
        client.delete("/v1/submit/", json={"objects": [{"object_text": ROUTE}], "passwords": ["member-pw"],
                                           "delete_reason": "withdrawn"})
        records["api"] = _record(site)

    journal, mails = records["web"]
    assert [j[1:4] for j in journal[-3:]] == [("ADD", "route", "203.0.113.0/24AS64500"),
                                              ("ADD", "aut-num", "AS64500"), ("DEL", "route", "203.0.113.0/24AS64500")]
    assert {to for to, _, _ in mails} >= {("nfy@member.example",), ("autnum-watch@member.example",),
                                          ("upd@other.example",)}
    assert records["email"] == records["web"]
    assert records["api"] == records["web"]


# -- protection of forms and secrets ----------------------------------------------------------------
def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_csrf_and_passwords_are_never_kept(site, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client = site.app.test_client()
    form = {"mode": "form", "op": "submit", "attr": ["route", "descr", "origin", "mnt-by", "source"],
            "value": ["203.0.113.0/24", "x", "AS64500", "MAINT-MEMBER", "VNNIC"], "password": "member-pw"}
    refused = client.post("/create/route", data=form)
    assert refused.status_code == 400 and site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is None
    for page in ("/create/route", "/modify/VNNIC/aut-num/AS64500", "/delete/VNNIC/aut-num/AS64501"):
        assert 'name="csrf_token"' in client.get(page).get_data(as_text=True)
    token = _token(client.get("/create/route").get_data(as_text=True))
    preview = client.post("/create/route", data={**form, "op": "preview", "csrf_token": token})
    assert preview.status_code == 200 and "member-pw" not in preview.get_data(as_text=True)
    text_mode = client.post("/create/route", data={
        "csrf_token": token, "mode": "text", "op": "preview", "override": "staff-override",
        "rpsl": "password: member-pw\n" + ROUTE})
    html = text_mode.get_data(as_text=True)
    assert "member-pw" not in html and "staff-override" not in html and "Preview:" in html
    for hidden in ("   password: member-pw\n", "+password: member-pw\n"):   # indented: still a credential
        indented = client.post("/create/route", data={
            "csrf_token": token, "mode": "text", "op": "preview",
            "rpsl": ROUTE.replace("descr:", hidden + "descr:", 1)})
        assert "member-pw" not in indented.get_data(as_text=True)
    in_a_row = client.post("/create/route", data={**form, "op": "preview", "csrf_token": token, "password": "",
                                                  "value": ["203.0.113.0/24", "x\n password: member-pw", "AS64500",
                                                            "MAINT-MEMBER", "VNNIC"]})
    assert "member-pw" not in in_a_row.get_data(as_text=True)
    # the language links stay on this site, whatever the path; every response says what it is
    lost = client.get("/%5Cevil.example/login").get_data(as_text=True)
    assert re.findall(r'href="([^"]*)" [^>]*id="lang-vi"', lost) == ["?lang=vi"]
    plain = client.get("/v1/filters/prefix-set/AS64500?sources=VNNIC&name=<b>x</b>")
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    assert plain.headers["Content-Security-Policy"].startswith("default-src 'none'")
    smuggled = client.post("/create/route", data={**form, "csrf_token": token, "attr": form["attr"] + ["password"],
                                                  "value": form["value"] + ["x"]})
    assert "Not attributes of class route: password" in smuggled.get_data(as_text=True)
    saved = client.post("/create/route", data={**form, "csrf_token": token})
    assert saved.status_code == 303 and site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is not None
    cookie = client.get_cookie("session").value
    session = site.app.session_interface.get_signing_serializer(site.app).loads(cookie)
    assert "member-pw" not in cookie and "member-pw" not in str(session) and set(session) <= {"csrf_token", "_flashes"}
    assert "member-pw" not in caplog.text and "staff-override" not in caplog.text
    assert "member-pw" not in str(site.store.journal("VNNIC")[-1].origin)
    prefilled = client.get("/object/VNNIC/aut-num/AS64500").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="create-route"', prefilled).group(1).replace("&amp;", "&")
    template = client.get(link).get_data(as_text=True)
    assert 'value="AS64500"' in template and 'value="MAINT-MEMBER"' in template
    vi = client.get("/search?q=AS64500", headers={"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
    assert "Kết quả cho AS64500" in vi.get_data(as_text=True)   # the browser's language, until switched
    # the API stays usable without a CSRF token (it takes JSON, no cookies)
    api = client.post("/v1/submit/", json={"objects": [{"object_text": ROUTE6}], "passwords": ["member-pw"]})
    assert api.status_code == 200 and api.get_json()["summary"]["successful"] == 1


def test_schema_help_texts_are_translated():
    """Help texts come from rpsl.schema and are translated through the catalogue."""
    from babel.messages.pofile import read_po

    from irr.web.render import POLICY_SYNTAXES
    from rpsl.schema import CLASSES, syntaxes
    from tests.test_web import PO

    with open(PO, "rb") as f:
        translated = {m.id for m in read_po(f) if m.id and m.string}
    helps = {c.help for c in CLASSES} | {a.help for c in CLASSES for a in c.attributes}
    assert {h for h in helps if h} - translated == set()
    assert POLICY_SYNTAXES.issubset(syntaxes())


def test_pgp_signed_text_and_staff_override(site):
    """A clear-signed object pasted into the form authenticates like a signed e-mail; the staff
    override authorises anything (and a wrong one is said so beside its field)."""
    from tests.pgp_helpers import session_keys
    from tests.test_email_updates import keycert_text

    keys = session_keys()
    submit_text(site, "password: member-pw\n\n" + keycert_text(keys.alice))
    mntner = site.store.get("VNNIC", "mntner", "MAINT-MEMBER").object_text
    submit_text(site, "password: member-pw\n\n" + mntner.replace("mnt-by:", f"auth:           {keys.alice.key_cert}\n"
                                                                            "mnt-by:", 1))
    client = site.app.test_client()
    token = _token(client.get("/create/route").get_data(as_text=True))
    base = {"csrf_token": token, "mode": "form", "op": "submit", "attr": ["source"], "value": ["VNNIC"]}
    forged = client.post("/create/route", data={**base, "signed": keys.home.clearsign(ROUTE, keys.mallory)})
    html = forged.get_data(as_text=True)
    assert forged.status_code == 200 and 'id="password-error"' in html and "did not verify" in html
    signed = client.post("/create/route", data={**base, "signed": keys.home.clearsign(ROUTE, keys.alice)})
    assert signed.status_code == 303 and site.store.get("VNNIC", "route", "203.0.113.0/24AS64500") is not None

    foreign = {**base, "attr": ["route", "descr", "origin", "mnt-by", "source"],
               "value": ["198.51.100.0/24", "x", "AS64500", "MAINT-MEMBER", "VNNIC"]}
    wrong = client.post("/create/route", data={**foreign, "override": "guess"})
    assert 'id="override-error"' in wrong.get_data(as_text=True)
    staff = client.post("/create/route", data={**foreign, "override": "staff-override"})
    assert staff.status_code == 303 and site.store.get("VNNIC", "route", "198.51.100.0/24AS64500") is not None
