"""Secret values are encrypted with a key kept apart from state.db; a wrong or damaged key
or ciphertext is a clear error saying what to restore."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from eventyard.control.secrets import KEY_ENV, KEY_FILE, SecretBox
from eventyard.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def test_first_load_creates_a_private_key_file_that_later_loads_reuse(tmp_path: Path) -> None:
    box = SecretBox.load(tmp_path / "data")
    key_file = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.encrypt("hunter2-password")
    assert "hunter2" not in token
    assert SecretBox.load(tmp_path / "data").decrypt(token) == "hunter2-password"
    assert [p.name for p in (tmp_path / "data").iterdir()] == [KEY_FILE]  # no temp file left


def test_encrypting_twice_gives_different_tokens(tmp_path: Path) -> None:
    box = SecretBox.load(tmp_path)
    first, second = box.encrypt("same"), box.encrypt("same")
    assert first != second
    assert box.decrypt(first) == box.decrypt(second) == "same"


def test_the_environment_key_wins_and_no_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, key)
    token = SecretBox.load(tmp_path).encrypt("s3cret")
    assert not (tmp_path / KEY_FILE).exists()
    assert Fernet(key.encode()).decrypt(token.encode()) == b"s3cret"


@pytest.mark.parametrize("value", ["", "short", "x" * 44, "!" * 44, "é" * 44])
def test_a_malformed_environment_key_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(ConfigError, match=f"the environment variable {KEY_ENV} is not a secret"):
        SecretBox.load(tmp_path)


def test_a_damaged_key_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("not a key\n")
    with pytest.raises(ConfigError, match=r"the key file .*secret\.key is not a secret key"):
        SecretBox.load(tmp_path)


def test_an_unreadable_key_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).mkdir()
    with pytest.raises(ConfigError, match="cannot read the secret key"):
        SecretBox.load(tmp_path)


def test_the_wrong_key_says_which_key_to_restore(tmp_path: Path) -> None:
    token = SecretBox.load(tmp_path / "a").encrypt("value")
    other = SecretBox.load(tmp_path / "b")
    with pytest.raises(ConfigError) as caught:
        other.decrypt(token)
    message = str(caught.value)
    assert str(tmp_path / "b" / KEY_FILE) in message
    assert "restore the original secret.key or EVENTYARD_SECRET_KEY" in message
    assert "value" not in message.replace("values", "")


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty"])
def test_a_tampered_ciphertext_is_refused(tmp_path: Path, damage: str) -> None:
    box = SecretBox.load(tmp_path)
    token = box.encrypt("value")
    bad = {
        "flip": token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:],
        "truncate": token[:20],
        "garbage": "\x00\udcff not base64",
        "empty": "",
    }[damage]
    with pytest.raises(ConfigError, match=r"state\.db was modified"):
        box.decrypt(bad)


def test_a_key_file_written_by_a_racing_process_is_kept(tmp_path: Path) -> None:
    existing = Fernet.generate_key()
    (tmp_path / KEY_FILE).write_bytes(existing)
    (tmp_path / KEY_FILE).chmod(0o600)
    token = Fernet(existing).encrypt(b"kept").decode()
    assert SecretBox.load(tmp_path).decrypt(token) == "kept"
    assert (tmp_path / KEY_FILE).read_bytes() == existing


def test_repr_never_shows_the_key(tmp_path: Path) -> None:
    box = SecretBox.load(tmp_path)
    key = (tmp_path / KEY_FILE).read_text().strip()
    assert key not in repr(box)
    assert "secret.key" in repr(box)
