"""Personal data for as long as the purpose lasts (Law No. 94-V): retention, destruction,
the destruction records and the subject-access export."""
