"""Which accounts a signed-in person may read: the one place every web query takes its customer filter from.

Collectors and admins see every account. Account-team users see the accounts whose owner email
is theirs or whose `account_team_emails` list names them, and nothing that belongs to no account
(the unmatched queue, quarantined mail). A query filters with `scope.where("t.customer_id")`;
a page about one record checks `scope.require(store, customer_id)`.
"""

from dataclasses import dataclass

from copilot.store import Store

EVERY_ACCOUNT_ROLES = frozenset({"collector", "admin"})


class OutOfScope(Exception):
    """The record belongs to an account this person may not read."""


@dataclass(frozen=True)
class AccountScope:
    email: str | None
    everyone: bool

    @classmethod
    def for_role(cls, role: str, email: str | None) -> "AccountScope":
        return cls(email=(email or "").strip().lower() or None, everyone=role in EVERY_ACCOUNT_ROLES)

    def where(self, customer_column: str) -> tuple[str, list]:
        """An SQL condition (and its arguments) true when `customer_column` names an account in scope."""
        if self.everyone:
            return "1 = 1", []
        if not self.email:
            return "0 = 1", []
        return (f"""{customer_column} in (select sc.id from customers sc where lower(sc.account_owner_email) = ?
                    or exists (select 1 from json_each(sc.account_team_emails) st where lower(st.value) = ?))""",
                [self.email, self.email])  # fmt: skip

    def allows(self, store: Store, customer_id: str | None) -> bool:
        if self.everyone:
            return True
        if customer_id is None or not self.email:
            return False
        condition, args = self.where("?")
        return store.db.execute(f"select {condition}", [customer_id, *args]).fetchone()[0] == 1

    def require(self, store: Store, customer_id: str | None) -> None:
        """Raise OutOfScope unless this person may read the account."""
        if not self.allows(store, customer_id):
            raise OutOfScope("this record belongs to an account you do not own or sit on")


EVERYONE = AccountScope(email=None, everyone=True)
