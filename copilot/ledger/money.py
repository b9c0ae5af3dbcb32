"""Amounts and currencies. Money is Decimal everywhere; never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 active codes (2024). Kept as data so a bad code is caught on import.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
    GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP
    LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL""".split()
)

CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal:
    """Parse a plain decimal amount such as '1234.50' (no thousands separators); raise ValueError."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("amount is empty")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{cleaned!r} is not a decimal amount (use digits and a dot, e.g. 1234.50)") from None
    if not value.is_finite():
        raise ValueError(f"{cleaned!r} is not a finite amount")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"unknown currency {code!r} (expected an ISO 4217 code such as USD or EUR)")
    return code


def fmt(amount: Decimal | str, currency: str | None) -> str:
    """Human format: 'USD 1,234.50'; without a currency only the figure, '1,234.50'."""
    figure = f"{Decimal(amount):,.2f}"
    return f"{currency} {figure}" if currency else figure
