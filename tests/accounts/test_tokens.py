"""Secret tokens: minting, the public prefix, digests, and what the database keeps."""

import hashlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts import tokens
from accounts.models import ApiToken
from accounts.services import api_token_create
from core.actors import Actor
from incidents.models import Integration
from incidents.services import integration_authenticate, integration_create

KINDS = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)


@pytest.mark.parametrize("kind", ["api", "am"])
def test_mint_shape(kind):
    new = tokens.mint(kind)
    keel, minted_kind, prefix, secret = new.plaintext.split("_", 3)
    assert (keel, minted_kind) == ("keel", kind)
    assert prefix == new.prefix
    assert len(prefix) == tokens.PREFIX_LENGTH
    assert set(prefix) <= set("0123456789abcdef")
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64
    assert new.digest == hashlib.sha256(new.plaintext.encode()).hexdigest()


def test_minted_tokens_differ():
    minted = [tokens.mint("api") for _ in range(50)]
    assert len({t.plaintext for t in minted}) == 50
    assert len({t.digest for t in minted}) == 50


@given(KINDS)
def test_split_prefix_finds_the_prefix_of_any_minted_token(kind):
    new = tokens.mint(kind)
    assert tokens.split_prefix(new.plaintext) == new.prefix


@pytest.mark.parametrize(
    "value",
    [
        "",
        "keel",
        "keel_api_0123abcd",  # no secret part
        "keal_api_0123abcd_secret",  # wrong brand
        "keel_api_0123abc_secret",  # prefix too short
        "keel_api_0123abcde_secret",  # prefix too long
        "keel_api_0123ABCD_secret",  # not lowercase hex
        "keel_api_0123\x00bcd_secret",  # NUL would break the database lookup
        "Bearer keel_api_0123abcd_secret",
    ],
)
def test_split_prefix_rejects_malformed_tokens(value):
    assert tokens.split_prefix(value) is None


@given(st.text(max_size=80))
def test_split_prefix_never_fails_and_returns_only_hex_prefixes(value):
    prefix = tokens.split_prefix(value)
    assert prefix is None or (len(prefix) == 8 and set(prefix) <= set("0123456789abcdef"))


@given(st.text(min_size=1, max_size=100))
def test_matches_accepts_exactly_the_token_whose_digest_is_stored(plaintext):
    stored = tokens.digest(plaintext)
    assert tokens.matches(plaintext, stored)
    assert not tokens.matches(plaintext + "x", stored)
    assert not tokens.matches(plaintext[:-1], stored)


def test_matches_rejects_a_token_of_the_same_prefix_with_another_secret():
    new = tokens.mint("api")
    forged = f"keel_api_{new.prefix}_{'A' * 43}"
    assert tokens.split_prefix(forged) == new.prefix
    assert not tokens.matches(forged, new.digest)


@pytest.mark.django_db
def test_api_tokens_are_stored_as_digests_only(responder):
    token, plaintext = api_token_create(user=responder, name="ci")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["digest"] == hashlib.sha256(plaintext.encode()).hexdigest()
    assert row["prefix"] == tokens.split_prefix(plaintext)
    assert all(plaintext not in str(value) for value in row.values())
    secret = plaintext.split("_", 3)[3]
    assert all(secret not in str(value) for value in row.values())


@pytest.mark.django_db
def test_integration_tokens_are_stored_as_digests_only(checkout):
    integration, plaintext = integration_create(actor=Actor.system(), name="am-x")
    row = Integration.objects.filter(pk=integration.pk).values().get()
    assert row["token_digest"] == hashlib.sha256(plaintext.encode()).hexdigest()
    assert row["token_prefix"] == tokens.split_prefix(plaintext)
    assert all(plaintext not in str(value) for value in row.values())
    found = integration_authenticate(token=plaintext)
    assert found is not None and found.id == integration.pk
    assert integration_authenticate(token=plaintext[:-1] + "!") is None
