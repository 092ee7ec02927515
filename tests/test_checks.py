from cryptography.fernet import Fernet

from catcpanel.checks import check_encryption_keys


def ids(messages):
    return [message.id for message in messages]


def test_valid_keys_pass(settings):
    settings.CATCPANEL_FERNET_KEYS = [
        Fernet.generate_key().decode(),
        Fernet.generate_key().decode(),
    ]
    assert check_encryption_keys() == []


def test_missing_keys_with_generation_off_is_E001(settings, tmp_path):
    settings.CATCPANEL_FERNET_KEYS = []
    settings.CATCPANEL_GENERATE_KEY = False
    settings.CATCPANEL_FERNET_KEY_FILE = tmp_path / "fernet.key"
    assert ids(check_encryption_keys()) == ["catcpanel.E001"]


def test_an_invalid_key_is_E002(settings):
    settings.CATCPANEL_FERNET_KEYS = ["definitely-not-a-key"]
    messages = check_encryption_keys()
    assert ids(messages) == ["catcpanel.E002"]
    assert "definitely-not-a-key" not in messages[0].msg
