"""English: a time always with its minutes, as a statement lists it.

Django's own DATETIME_FORMAT ("N j, Y, P") writes "Dec. 3, 2026, 2 a.m." under "12:05 a.m." in
the same column, and "noon" or "midnight" for a payment at 12:00 or 00:00: here every time reads
"2:00 a.m.", "12:00 p.m.". SHORT_DATETIME_FORMAT is the back office's one form (lists, pages,
`backoffice.admin_base.short_datetime`), the one a finance desk sorts and compares. Everything
else is Django's English.
"""

DATETIME_FORMAT = "N j, Y, g:i a"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
