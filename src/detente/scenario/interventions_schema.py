"""The scenario file's ``interventions:`` section (owned by the analysis layer).

Permissive until the lever language lands.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InterventionSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
