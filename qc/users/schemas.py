from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from qc.users.models import Role


@dataclass(frozen=True)
class Principal:
    """Who is asking: the signed-in person or the user behind an API token."""

    id: int
    email: str
    name: str
    role: Role
    team_id: int | None = None
    managed_team_ids: frozenset[int] = field(default_factory=frozenset)
    via_token: bool = False
    # Teams whose reps this person may not know (blind review): see `qc.users.identity`.
    blind_team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    language: str | None


class UserRead(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    team_id: int | None
    team: str | None = None
    external_id: str | None
    is_active: bool


class UserCreate(BaseModel):
    email: str
    name: str
    role: Role
    password: str | None = None
    team: str | None = None
    external_id: str | None = None
    managed_teams: list[str] = []


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
