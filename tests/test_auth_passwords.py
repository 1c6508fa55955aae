"""Password credentials: hashes from generated dumps, legacy crypt, malformed values, dummies, new hashes,
the override hash."""
from __future__ import annotations

import ast
import inspect
import shutil
import subprocess
import time

import bcrypt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from passlib.hash import des_crypt, md5_crypt

from irr.auth import passwords
from irr.auth.passwords import (
    PASSWORD_SCHEMES,
    hash_password,
    is_dummy,
    new_auth_problem,
    verify_auth_line,
    verify_hash,
)
from rpsl.generate.credentials import password_for
from tests.conftest import generate_dump


@pytest.fixture(scope="module")
def known_mntners(tmp_path_factory) -> list[tuple[str, list[str]]]:
    """(name, auth values) of the dump's known-password maintainers (rpsl.generate: the first 8 after
    the registry tier, marked by a remark)."""
    dump = generate_dump(tmp_path_factory.mktemp("dump") / "dump.db", 3000, 1)
    found = []
    for paragraph in dump.read_text().split("\n\n"):
        if paragraph.startswith("mntner:") and "TEST DATA: the password" in paragraph:
            lines = [line.partition(":") for line in paragraph.splitlines()]
            auth = [value.strip() for name, _, value in lines if name == "auth"]
            found.append((lines[0][2].strip(), auth))
    return found


def test_dump_hashes(known_mntners):
    assert len(known_mntners) == 8
    for name, auth in known_mntners:
        schemes = [value.split()[0] for value in auth]
        assert schemes == ["MD5-PW", "BCRYPT-PW"], name
        assert password_for(name) == "secret-" + name.lower()          # the rule rpsl.generate documents
        for value in auth:
            assert verify_auth_line("secret-" + name.lower(), value), (name, value)
            assert not verify_auth_line("secret-" + name.upper(), value)
            assert not verify_auth_line("secret-" + name.lower() + " ", value)
            assert not verify_auth_line("wrong", value)
            assert new_auth_problem(value) is None


def _mkpasswd(method: str, password: str, *options: str) -> str:
    """A hash from Debian's mkpasswd (libxcrypt; package whois, installed by ./run.sh test)."""
    assert shutil.which("mkpasswd"), "mkpasswd (Debian package whois) is installed by ./run.sh test"
    return subprocess.run(["mkpasswd", "-m", method, *options, "--stdin"], input=password, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_dump_hashes_equal_an_independent_implementation(known_mntners):
    """libxcrypt (mkpasswd) makes the same hashes from the same salts: the generator's hashes are
    genuine md5-crypt and bcrypt, not something only our own libraries agree on."""
    for name, auth in known_mntners:
        md5, hashed = auth[0].split()[1], auth[1].split()[1]
        password = "secret-" + name.lower()
        assert _mkpasswd("md5crypt", password, "-S", md5.split("$")[2]) == md5
        assert _mkpasswd("bcrypt", password, "-R", hashed[4:6], "-S", hashed[7:29]) == hashed


@pytest.mark.parametrize("method", ["md5crypt", "bcrypt", "bcrypt-a", "descrypt", "openssl-md5"])
def test_hashes_made_by_other_tools_verify(method):
    """Hashes as other tools write them (mkpasswd, openssl passwd) verify with the right password only."""
    if method == "openssl-md5":
        hashed = subprocess.run(["openssl", "passwd", "-1", "-stdin"], input="s3cret-pw", capture_output=True,
                                text=True, check=True).stdout.strip()
    else:
        hashed = _mkpasswd(method, "s3cret-pw", *(["-R", "5"] if method.startswith("bcrypt") else []))
    scheme = {"bcrypt": "BCRYPT-PW", "bcrypt-a": "BCRYPT-PW", "descrypt": "CRYPT-PW"}.get(method, "MD5-PW")
    assert hashed.startswith({"bcrypt": "$2b$05$", "bcrypt-a": "$2a$05$", "descrypt": ""}.get(method, "$1$")), hashed
    assert verify_auth_line("s3cret-pw", f"{scheme} {hashed}")
    assert not verify_auth_line("s3Cret-pw", f"{scheme} {hashed}")      # (CRYPT-PW reads 8 characters)
    assert not verify_auth_line("wrong", f"{scheme} {hashed}")


def test_other_maintainers_password_fails(known_mntners):
    (first, first_auth), (second, _) = known_mntners[:2]
    assert not any(verify_auth_line("secret-" + second.lower(), value) for value in first_auth)


def test_scheme_case_and_spacing():
    md5 = md5_crypt.hash("secret")
    hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(4)).decode()
    for value in (f"md5-pw {md5}", f"Md5-Pw {md5}", f"MD5-PW   {md5}", f"\tMD5-PW {md5} ", f"MD5-PW {md5}  # remark",
                  f"bcrypt-pw {hashed}", f"BCRYPT-PW {hashed}"):
        assert verify_auth_line("secret", value), value
        assert not verify_auth_line("Secret", value), value


def test_crypt_pw_legacy():
    hashed = des_crypt.hash("longpassword")
    assert len(hashed) == 13
    assert verify_auth_line("longpassword", f"CRYPT-PW {hashed}")
    assert verify_auth_line("longpass", f"crypt-pw {hashed}")          # only the first 8 characters count
    assert verify_auth_line("longpassXYZ", f"CRYPT-PW {hashed}")
    assert not verify_auth_line("longpas", f"CRYPT-PW {hashed}")
    assert not verify_auth_line("wrong", f"CRYPT-PW {hashed}")
    assert "CRYPT-PW" in new_auth_problem(f"CRYPT-PW {hashed}")         # verify only: refused in new objects


def test_bcrypt_variants_and_long_passwords():
    for prefix in (b"2a", b"2b"):
        hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(4, prefix=prefix)).decode()
        assert verify_auth_line("secret", f"BCRYPT-PW {hashed}")
        assert verify_hash("secret", hashed)
    two_y = "$2y$" + bcrypt.hashpw(b"secret", bcrypt.gensalt(4)).decode()[4:]
    assert verify_auth_line("secret", f"BCRYPT-PW {two_y}") and verify_hash("secret", two_y)
    long = "é" * 50                                                     # 100 bytes: bcrypt uses the first 72
    value = hash_password(long)
    assert verify_auth_line(long, value) and verify_auth_line("é" * 36 + "x", value)
    assert not verify_auth_line("é" * 35, value)


@pytest.mark.parametrize("value", [
    "", "MD5-PW", "MD5-PW ", "MD5-PW $1$abc", "MD5-PW $1$abc$def", "MD5-PW garbage", "BCRYPT-PW $2b$12$short",
    "BCRYPT-PW $2b$99$" + "a" * 53, "BCRYPT-PW $2x$10$" + "a" * 53, "CRYPT-PW ab", "CRYPT-PW !!!!!!!!!!!!!",
    "MD5-PW $1$abc$def extra", "BCRYPT-PW", "PGPKEY-80F238C6", "MAIL-FROM .*@example.net", "NONE",
    "SSO user@example.net", "X509-1", "IRRD-INTERNAL-AUTH", "MD5-PW DummyValue", "BCRYPT-PW DummyValue",
    "CRYPT-PW DummyValue", "PASSWORD secret", "MD5-PW $1$ÿÿÿÿ$" + "a" * 22,
])
def test_malformed_and_other_schemes_never_match(value):
    for password in ("secret", "DummyValue", "", "a" * 5000, "nul\x00byte", "DummyValue"):
        assert verify_auth_line(password, value) is False


def test_expensive_bcrypt_hash_is_not_verified():
    """A mirrored cost-31 hash would take days to check: refused at once."""
    value = "BCRYPT-PW $2b$31$" + "a" * 53
    started = time.monotonic()
    assert not verify_auth_line("secret", value)
    assert time.monotonic() - started < 0.5
    assert "cost 31" in new_auth_problem(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=120))
def test_never_raises(password, value):
    assert verify_auth_line(password, value) in (True, False)
    assert verify_hash(password, value) in (True, False)
    assert new_auth_problem(value) is None or isinstance(new_auth_problem(value), str)
    assert is_dummy(value) in (True, False)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(PASSWORD_SCHEMES), st.text(max_size=30))
def test_never_raises_on_scheme_prefixed_junk(scheme, junk):
    for value in (f"{scheme} {junk}", f"{scheme} $1${junk}", f"{scheme} $2b$10${junk}"):
        assert verify_auth_line("secret", value) in (True, False)


def test_non_strings_are_no_match():
    assert not verify_auth_line(None, "MD5-PW " + md5_crypt.hash("x"))  # type: ignore[arg-type]
    assert not verify_auth_line("x", None)  # type: ignore[arg-type]
    assert not verify_hash("x", None)  # type: ignore[arg-type]
    assert not is_dummy(None)  # type: ignore[arg-type]


def test_dummy():
    for value in ("MD5-PW DummyValue", "bcrypt-pw DummyValue", "CRYPT-PW  DummyValue",
                  "MD5-PW DummyValue  # Filtered for security"):
        assert is_dummy(value), value
        assert new_auth_problem(value) is None                          # the caller decides
    for value in ("MD5-PW dummyvalue", "PGPKEY-DummyValue", "MD5-PW DummyValue2", "MD5-PW " + md5_crypt.hash("x"),
                  "DummyValue", "SSO DummyValue", ""):
        assert not is_dummy(value), value


def test_hash_password_round_trip():
    value = hash_password("correct horse")
    assert value.startswith("BCRYPT-PW $2b$12$") and len(value.split()[1]) == 60
    assert verify_auth_line("correct horse", value)
    assert not verify_auth_line("correct horse ", value)
    assert new_auth_problem(value) is None and not is_dummy(value)
    assert hash_password("correct horse") != value                      # fresh salt each time
    for bad in ("", "a\x00b", "x" * 1025):
        with pytest.raises(ValueError):
            hash_password(bad)


def test_verify_hash_override():
    hashed = bcrypt.hashpw(b"override-secret", bcrypt.gensalt(4)).decode()
    md5 = md5_crypt.hash("override-secret")
    assert verify_hash("override-secret", hashed) and verify_hash("override-secret", md5)
    assert verify_hash("override-secret", hashed + "\n")                 # read from a file
    assert not verify_hash("override", hashed) and not verify_hash("override", md5)
    for bad in ("", "override-secret", f"BCRYPT-PW {hashed}", des_crypt.hash("override-secret"), "$2b$", "$1$"):
        assert not verify_hash("override-secret", bad), bad


@pytest.mark.parametrize("value, words", [
    ("MAIL-FROM .*@example.net", "obsolete"),
    ("NONE", "obsolete"),
    ("none", "obsolete"),
    ("MD5-PW $1$abc", "malformed"),
    ("MD5-PW $1$abcdefghi$" + "a" * 22, "malformed"),              # salt of 9
    ("BCRYPT-PW $2b$12$short", "malformed"),
    ("BCRYPT-PW $2b$03$" + "a" * 53, "cost 3"),
    ("BCRYPT-PW $2b$12$" + "a" * 53 + ",x", "exactly one hash"),
    ("MD5-PW $1$abc$" + "a" * 22 + " second", "exactly one hash"),
    ("CRYPT-PW abcdefghijklm", "CRYPT-PW"),
    ("PGPKEY-XYZ", "PGPKEY"),
    ("PGPKEY-80F238C6 extra", "PGPKEY"),
    ("X509-1", "X.509"),
    ("IRRD-INTERNAL-AUTH", "reserved"),
    ("KERBEROS x", "unknown auth scheme: use"),
    ("hunter2", "unknown auth scheme: use"),
    ("BCRYPT-PW $2b$14$" + "a" * 53, "cost 14 is out of range: use 4 to 13"),
    ("", "empty"),
])
def test_new_auth_problems(value, words):
    problem = new_auth_problem(value)
    assert problem and words in problem
    assert "hunter2" not in problem.lower()


@pytest.mark.parametrize("value", [
    "MD5-PW $1$abc$" + "a" * 22, "md5-pw $1$abcdefgh$" + "a" * 22, "BCRYPT-PW $2b$10$" + "a" * 53,
    "BCRYPT-PW $2a$04$" + "a" * 53, "BCRYPT-PW $2b$13$" + "a" * 53, "PGPKEY-80F238C6", "pgpkey-80f238c6", "SSO user@example.net",
])
def test_new_auth_fine(value):
    assert new_auth_problem(value) is None


def test_verification_uses_library_functions_only():
    """Code review as a test: the verifying functions never compare a password or hash with == or !=;
    the libraries' verify functions compare in constant time."""
    secret_names = {"password", "hashed"}
    for function in (passwords._verify, passwords._bcrypt_verify, passwords.verify_auth_line, passwords.verify_hash):
        tree = ast.parse(inspect.getsource(function).strip())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                names = {n.id for operand in (node.left, *node.comparators) for n in ast.walk(operand)
                         if isinstance(n, ast.Name)}
                assert not names & secret_names, (function.__name__, ast.unparse(node))
    source = inspect.getsource(passwords)
    assert "checkpw(" in source and "md5_crypt.verify(" in source and "des_crypt.verify(" in source
    assert "logging" not in source and "print(" not in source
