from django.apps import AppConfig


class CatcpanelConfig(AppConfig):
    name = "catcpanel"

    def ready(self):
        from catcpanel import checks  # noqa: F401  (registers the system checks)
