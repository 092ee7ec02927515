import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.models import SandboxCustomer


def on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise ValueError(value)
    return value == "on"


def auth_status(value: str) -> int | str:
    """412 or 403, or "shape" to answer what the customer's shape answered (docs 403, live 412)."""
    if value == "shape":
        return value
    if value not in ("412", "403"):
        raise ValueError(value)
    return int(value)


def fraction(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Set a sandbox customer's behaviour switches and print the resulting configuration. "
        "--plain-text makes listtasks and cloudpro/delete answer the provider's plain-text SQL "
        "errors; --shape live serves the live service's JSON (as text/html) and answers a wrong "
        "key with 412 (the docs shape: 403) unless --auth-error-status says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customer", required=True, metavar="LOGIN")
        parser.add_argument("--latency-ms", type=int, metavar="N")
        parser.add_argument("--fail-rate", type=fraction, metavar="F", help="0.0 .. 1.0")
        parser.add_argument("--fail-status", type=int, choices=[500, 503])
        parser.add_argument("--shape", choices=["docs", "live"])
        parser.add_argument("--auth-error-status", type=auth_status, metavar="412|403|shape")
        parser.add_argument("--rate-limit", type=int, metavar="N", help="per minute; 0 = off")
        parser.add_argument("--task-seconds", type=int, metavar="N")
        for switch in ("plain-text", "maintenance", "empty-console", "json-as-html"):
            parser.add_argument(f"--{switch}", type=on_off, metavar="on|off")

    def handle(self, *args, **options):
        customer = SandboxCustomer.objects.filter(login__iexact=options["customer"]).first()
        if customer is None:
            raise CommandError(f"No sandbox customer with login {options['customer']!r}.")
        for name in ("latency_ms", "rate_limit", "task_seconds"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.")
        fields = [
            "latency_ms",
            "fail_rate",
            "fail_status",
            "shape",
            "auth_error_status",
            "rate_limit",
            "task_seconds",
            "plain_text",
            "maintenance",
            "empty_console",
            "json_as_html",
        ]
        changed = [name for name in fields if options[name] is not None]
        for name in changed:
            # "shape" (only --auth-error-status takes it) hands the choice back to the shape.
            setattr(customer, name, None if options[name] == "shape" else options[name])
        if changed:
            customer.save(update_fields=changed)
        self.stdout.write(json.dumps(customer.config(), indent=2))
