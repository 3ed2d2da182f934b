from django.apps import AppConfig


class WatchpartyConfig(AppConfig):
    name = "watchparty"
    verbose_name = "Watch parties"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from invites.targets import register_target
        from watchparty import invites

        register_target(
            "watchparty",
            label="Watch party",
            describe=invites.describe,
            admit=invites.admit,
            may_invite=invites.may_invite,
        )
