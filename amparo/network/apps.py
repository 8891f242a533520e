from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "amparo.network"
    label = "network"
    verbose_name = _("Global Network of focal points")

    def ready(self) -> None:
        from amparo.core import access as core_access
        from amparo.network import access, checks  # noqa: F401 (registers the system checks)
        from amparo.network.models import (
            CoChairTerm,
            Commitment,
            Meeting,
            Member,
            Review,
            SteeringMember,
        )
        from amparo.network.scorecard import feeds, providers

        core_access.register_trail_access(Member._meta.label_lower, access.can_view_member_trail)
        core_access.register_trail_access(
            Commitment._meta.label_lower, access.can_view_commitment_trail
        )
        core_access.register_trail_access(Review._meta.label_lower, access.can_view_review_trail)
        core_access.register_trail_access(Meeting._meta.label_lower, access.can_view_meeting_trail)
        for model in (CoChairTerm, SteeringMember):
            core_access.register_trail_access(
                model._meta.label_lower, access.can_view_governance_trail
            )
        providers.register_own()
        feeds.register_installed()
        from amparo.network import keys

        core_access.register_key_readers(keys.PURPOSE, _("Network records"), keys.key_readers)
