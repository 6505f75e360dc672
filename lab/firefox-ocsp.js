// Revocation preferences for the lab's Firefox ESR scenarios that query OCSP.
// Ask the certificate's OCSP responder when no staple is sent (soft-fail).
user_pref("security.OCSP.enabled", 1);
user_pref("security.OCSP.require", false);
user_pref("security.OCSP.timeoutMilliseconds.soft", 5000);
user_pref("security.ssl.enable_ocsp_stapling", true);
user_pref("security.ssl.enable_ocsp_must_staple", true);
// CRLite would answer revocation locally instead of OCSP: off.
user_pref("security.pki.crlite_mode", 0);
user_pref("security.remote_settings.crlite_filters.enabled", false);
// Certificates valid for a short time skip OCSP; the lab leaves are long-lived anyway.
user_pref("security.pki.cert_short_lifetime_in_days", 0);
// Firefox ESR 153 has no security.OCSP.GET.enabled any more (libxul knows only security.OCSP.enabled,
// .require, .timeoutMilliseconds.soft/.hard): its OCSP requests are always POSTs.
