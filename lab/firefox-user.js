// Preferences for the lab's throwaway Firefox ESR profiles (all Firefox scenarios).
// The revocation preferences are in firefox-ocsp.js, added for the scenarios that ask for OCSP.
// Name resolution through /etc/hosts only, no DNS over HTTPS.
user_pref("network.trr.mode", 5);
user_pref("network.dns.disableIPv6", true);
user_pref("network.proxy.type", 0);
// Quiet start: no background traffic that would clutter the capture.
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:9/");
user_pref("network.prefetch-next", false);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("security.enterprise_roots.enabled", false);
