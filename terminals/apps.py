from typing import Any

from django.apps import AppConfig


def _end_claims(sender: Any, *, user: Any, **kwargs: Any) -> None:
    from terminals.services import claims_end_for_user

    claims_end_for_user(user=user)


class TerminalsConfig(AppConfig):
    name = "terminals"
    verbose_name = "Terminals"

    def ready(self) -> None:
        from accounts.models import Role
        from accounts.signals import workspace_access_reduced
        from invites.targets import register_target
        from terminals import services

        workspace_access_reduced.connect(_end_claims, dispatch_uid="terminals.end_claims")
        # CHROTE's UI: an invite brought to `/terminals/api/auth/<provider>?invite=` is accepted
        # once that browser signs in.
        from django.contrib.auth.signals import user_logged_in

        from terminals.api.ui_signin import pending_invite_accept

        user_logged_in.connect(pending_invite_accept, dispatch_uid="terminals.ui_pending_invite")

        register_target(
            "terminals",
            label="Terminal workspace",
            describe=lambda _id: "Terminal workspace",
            # Redeeming makes a non-member a viewer, so only those who manage the workspace's
            # members may invite people into it.
            admit=lambda user, _id: services.workspace_admit(user=user),
            may_invite=lambda user, _id: user.has_role(Role.ADMIN),
            needs_id=False,
        )
