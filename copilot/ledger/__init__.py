"""The ledger: invoice and payment CSV import, money, the aging report and collection metrics."""
