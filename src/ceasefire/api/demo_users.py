"""The demo's users: several nations and roles, with fresh passwords and tokens each run."""

from __future__ import annotations

from datetime import datetime

from ceasefire.access.model import Role
from ceasefire.access.secrets import new_password
from ceasefire.api.accounts import NewAccount, create_account
from ceasefire.reports.model import Classification
from ceasefire.store.ports import AccessPort

#: name, nation, clearance, roles: a FRA analyst and a USA analyst see different pictures.
DEMO_USERS: tuple[tuple[str, str, Classification, tuple[Role, ...]], ...] = (
    ("fra-analyst", "FRA", Classification.SECRET, (Role.ANALYST,)),
    ("usa-analyst", "USA", Classification.SECRET, (Role.ANALYST, Role.MONITOR)),
    ("gbr-commission", "GBR", Classification.SECRET, (Role.COMMISSION, Role.ANALYST)),
    ("ukr-liaison", "UKR", Classification.RESTRICTED, (Role.LIAISON,)),
    ("deu-commander", "DEU", Classification.CONFIDENTIAL, (Role.COMMANDER,)),
    ("hq-admin", "FRA", Classification.SECRET, (Role.ADMIN,)),
)


def create_demo_users(access: AccessPort, now: datetime) -> list[NewAccount]:
    """Create the demo users with random passwords; their secrets, to print once."""
    return [
        create_account(
            access,
            name=name,
            nation=nation,
            organisation=None,
            clearance=clearance,
            roles=roles,
            password=new_password(),
            now=now,
        )
        for name, nation, clearance, roles in DEMO_USERS
    ]
