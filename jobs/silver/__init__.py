"""Silver: records standardised to WS 363/364 data elements, pseudonymised, with rejects quarantined."""
