#!/usr/bin/env python
import os
import sys
from pathlib import Path

# What `make run` puts in the environment, for a clone that configures nothing at all.
LOCAL_DEFAULTS = {"DEBUG": "true"}


def configures_nothing(environ) -> bool:
    """No SECRET_KEY (nor its file, nor one generated on the data volume) and no DEBUG.

    That is a fresh clone: its commands run as `make run` runs them. Anything set means a
    deliberate configuration, which the settings then check as they always do.
    """
    if any(environ.get(name, "").strip() for name in ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE")):
        return False
    data_dir = environ.get("CATCPANEL_DATA_DIR") or Path(__file__).resolve().parent / "var"
    return not (Path(data_dir) / "secret_key").is_file()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catcpanel.settings")
    if os.environ["DJANGO_SETTINGS_MODULE"] == "catcpanel.settings" and configures_nothing(
        os.environ
    ):
        os.environ.update(LOCAL_DEFAULTS)
        print(
            "catcpanel: no SECRET_KEY and no DEBUG set: running as `make run` does (DEBUG=true, "
            "for a local clone). Set SECRET_KEY and DEBUG=false for a real deployment.",
            file=sys.stderr,
        )
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Loaded here, not lazily by the command: Django would otherwise list only its own
        # commands and call ours unknown, or show a traceback.
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        # A configuration mistake (no SECRET_KEY with DEBUG=false): its words, no traceback.
        sys.exit(f"catcpanel: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
