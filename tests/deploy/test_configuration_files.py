"""The deployment files agree with the code: every setting documented, compose wired up safely."""

import re

import yaml

from tests.deploy.conftest import ENTRYPOINT, ROOT

ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def documented(name: str) -> bool:
    return re.search(rf"^(# )?{name}(_FILE)?=", ENV_EXAMPLE, re.MULTILINE) is not None


def test_every_setting_the_settings_read_is_in_env_example():
    source = (ROOT / "catcpanel" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))

    assert {"SECRET_KEY", "DATABASE_URL", "CATCPANEL_FERNET_KEYS"} <= names
    assert sorted(name for name in names if not documented(name)) == []


def test_every_variable_the_entrypoint_and_bootstrap_read_is_in_env_example():
    script = ENTRYPOINT.read_text()
    names = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", script))
    bootstrap = (ROOT / "servers/management/commands/bootstrap_admin.py").read_text()
    names |= set(re.findall(r"\"(CATCPANEL_ADMIN_[A-Z_]+)\"", bootstrap))

    assert {"GUNICORN_WORKERS", "CATCPANEL_DEMO", "CATCPANEL_ADMIN_PASSWORD_FILE"} <= names
    assert sorted(name for name in names if not documented(name)) == []


def test_env_example_sets_no_empty_value_that_would_override_a_default():
    """`NAME=` is an empty value (ALLOWED_HOSTS= refuses all requests): defaults stay comments."""
    active = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE, re.MULTILINE)

    assert dict(active)["SITE_URL"]
    # compose.yaml refuses to start while it is empty: that is the point.
    assert [name for name, value in active if not value] == ["POSTGRES_PASSWORD"]


def test_compose_starts_the_panel_after_healthy_postgresql_and_redis():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    panel = services["panel"]

    assert panel["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert panel["env_file"] == ".env"
    assert "@db:5432/" in panel["environment"]["DATABASE_URL"]
    assert panel["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    # The password comes from .env, never from the file itself.
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "${POSTGRES_PASSWORD:?" in panel["environment"]["DATABASE_URL"]
    # Plain http on localhost only; https goes through the (commented) proxy.
    assert panel["ports"] == ["127.0.0.1:8000:8000"]


def test_compose_volumes_are_named_and_declared():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    used = {
        mount.split(":", 1)[0]
        for service in compose["services"].values()
        for mount in service.get("volumes", [])
    }

    assert used == {"panel-data", "db-data"}
    assert used == set(compose["volumes"])
    assert "panel-data:/data" in compose["services"]["panel"]["volumes"]


def test_the_image_keeps_no_secret_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    env_block = re.search(r"^ENV (.*?)(?:\n\n)", final_stage, re.MULTILINE | re.DOTALL).group(1)

    assert "SECRET_KEY" not in env_block
    assert "CATCPANEL_DATA_DIR=/data" in env_block
    assert "CATCPANEL_GENERATE_KEY=true" in env_block
    # The only SECRET_KEY is the build-time one on collectstatic's RUN line.
    assert [line for line in dockerfile.splitlines() if "SECRET_KEY=" in line] == [
        "RUN SECRET_KEY=collectstatic-at-build-time-only CATCPANEL_DATA_DIR=/tmp/build-data \\"
    ]
    assert re.search(r"^USER 10001:10001$", final_stage, re.MULTILINE)
    assert 'VOLUME ["/data"]' in final_stage
    assert "docker/healthcheck.py" in final_stage.split("HEALTHCHECK", 1)[1]
    assert "--no-index" in final_stage and "--no-cache-dir" in final_stage
    assert "apt-get" not in final_stage


def test_dockerignore_keeps_local_secrets_and_state_out_of_the_build():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".env.*", ".git", ".venv", "var", "staticfiles"} <= ignored
    assert "!.env.example" in ignored
