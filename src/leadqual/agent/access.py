"""Who may use the agent and which leads each person sees.

A seller sees the leads they own; a manager also sees the leads of their team; an admin sees all.
A seller without one of the configured roles may not use the agent at all.

Examples:
    >>> from leadqual.config import TeamAccess
    >>> from leadqual.models import Seller
    >>> access = Access(TeamAccess(), [Seller(id="S-1", name="Ana", roles=("Salesperson",))])
    >>> access.role("S-1")
    'seller'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from leadqual.config import TeamAccess
from leadqual.errors import AccessDenied, RecordNotFound
from leadqual.models import Lead, Seller

__all__ = ["Access", "Role"]

Role = Literal["seller", "manager", "admin"]


def _folded(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.casefold() for n in names)


class Access:
    """The access rules of :class:`~leadqual.config.TeamAccess` over the CRM's sellers.

    Args:
        rules: which roles use the agent, and which are managers and admins.
        sellers: the CRM's sellers (their ``roles`` and ``team``).
    """

    def __init__(self, rules: TeamAccess, sellers: Iterable[Seller]) -> None:
        self.rules = rules
        self._sellers = {s.id: s for s in sellers}
        self._users = _folded(rules.roles)
        self._managers = _folded(rules.manager_roles)
        self._admins = _folded(rules.admin_roles)

    def seller(self, seller_id: str, /) -> Seller:
        """The seller with this id.

        Raises:
            RecordNotFound: no such seller.
        """
        if not isinstance(seller_id, str) or seller_id not in self._sellers:
            raise RecordNotFound("seller", str(seller_id))
        return self._sellers[seller_id]

    def role(self, seller_id: str, /) -> Role:
        """The seller's role for the agent: the highest their CRM roles grant.

        Raises:
            RecordNotFound: no such seller.
            AccessDenied: the seller is inactive or has none of the roles that use the agent.
        """
        seller = self.seller(seller_id)
        if not seller.is_active:
            raise AccessDenied(
                f"seller {seller_id} is inactive and may not use the agent", seller_id=seller_id
            )
        held = _folded(seller.roles)
        if held & self._admins:
            return "admin"
        if held & self._managers:
            return "manager"
        if held & self._users:
            return "seller"
        raise AccessDenied(
            f"seller {seller_id} has none of the roles that use the agent "
            f"({', '.join(self.rules.roles)}); an admin can grant one in the CRM",
            seller_id=seller_id,
        )

    def visible_owners(self, seller_id: str, /) -> frozenset[str] | None:
        """Owner ids whose leads the seller sees (``None``: every lead, for an admin)."""
        role = self.role(seller_id)
        if role == "admin":
            return None
        if role == "manager":
            team = self._sellers[seller_id].team
            if team:
                return frozenset(
                    {seller_id} | {s.id for s in self._sellers.values() if s.team == team}
                )
        return frozenset({seller_id})

    def can_see(self, seller_id: str, lead: Lead, /) -> bool:
        """Whether the seller may see the lead."""
        owners = self.visible_owners(seller_id)
        return owners is None or lead.owner_id in owners

    def require(self, seller_id: str, lead: Lead, /) -> None:
        """Raise unless the seller may see the lead.

        Raises:
            AccessDenied: the lead belongs to someone the seller may not see.
        """
        if not self.can_see(seller_id, lead):
            raise AccessDenied(
                f"seller {seller_id} may not see lead {lead.id}: it is not theirs "
                "(ask its owner or a manager)",
                seller_id=seller_id,
                lead_id=lead.id,
            )

    def supervisors(self) -> list[str]:
        """Who reviews leads the agent would disqualify: the configured supervisors, else every
        active manager and admin."""
        if self.rules.supervisors:
            return list(self.rules.supervisors)
        out = []
        for s in self._sellers.values():
            if s.is_active and _folded(s.roles) & (self._managers | self._admins):
                out.append(s.id)
        return sorted(out)

    def team_members(self, team: str, /) -> list[str]:
        """Active sellers of a team who use the agent as sellers or managers, by id."""
        return sorted(
            s.id
            for s in self._sellers.values()
            if s.team == team and s.is_active and _folded(s.roles) & (self._users | self._managers)
        )
