"""The scenario file's ``war:`` and ``claims:`` sections (owned by the war model).

Permissive until the war model's schema lands.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WarSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class ClaimSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
