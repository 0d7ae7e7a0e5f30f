"""NOWPayments crypto invoices; IPNs signed with x-nowpayments-sig."""
