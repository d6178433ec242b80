from qbo_connector.config import get_settings


def test_settings_read_from_environment(monkeypatch):
    monkeypatch.setenv("OAUTH_STATE_TTL_SECONDS", "123")
    monkeypatch.setenv("LEGAL_ENTITIES_TABLE", "le-table")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.oauth_state_ttl_seconds == 123
        assert settings.legal_entities_table == "le-table"
    finally:
        get_settings.cache_clear()
