"""Models of the catalog: the services users depend on and the teams that own them."""

from catalog.choices import Tier

from .service import Service
from .team import Team, validate_time_zone

__all__ = ["Service", "Team", "Tier", "validate_time_zone"]
