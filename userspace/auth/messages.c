// SPDX-License-Identifier: GPL-2.0
/*
 * skauth messages: what the login page tells the user, in Japanese and
 * English.  Each refusal says which check failed and what the user can do
 * about it, in the plain style of the organisations' own VPN manuals: a
 * user who sees "your certificate has expired, ask for a new one" calls
 * the right person; one who sees "login failed" calls everyone.
 *
 * All texts are string literals; the "ja / en" form (lang NULL) is built by
 * literal concatenation at compile time, so every pointer returned is
 * static and may be kept.
 */
#include <string.h>

#include "skauth.h"

struct msg {
	const char *key, *ja, *en, *both;
};

#define M(k, j, e) { k, j, e, j " / " e }

static const struct msg msgs[] = {
	/* ---- password ---- */
	M("pw-wrong",
	  "ユーザー名またはパスワードが違います。入力し直してください。失敗が続くとアカウントは一時的にロックされます。ログインできない場合は管理者に連絡してください。",
	  "Wrong user name or password. Type them again; repeated failures lock the account for a while. If you cannot log in, ask your administrator."),
	/* told only to whoever just gave the right answer */
	M("locked",
	  "ログインの失敗が続いたため、アカウントは {} まで一時的にロックされています。その後にもう一度ログインしてください。急ぐ場合は管理者にロック解除を依頼してください。",
	  "Your account is locked until {} after repeated failed logins. Log in again after that time; if it cannot wait, ask your administrator to unlock it."),
	M("locked-admin",
	  "アカウントがロックされています。管理者にロック解除を依頼してください。",
	  "Your account is locked. Ask your administrator to unlock it."),
	M("source-locked",
	  "この接続元からのログイン失敗が多すぎるため、{} まで一時的に受け付けません。その後にお試しいただくか、急ぐ場合は管理者に解除を依頼してください。",
	  "Logins from your network address are temporarily blocked until {} after too many failed logins. Try again then, or ask your administrator to unblock your address."),
	M("too-many-tries",
	  "間違いが多すぎるため、このログインは終了しました。最初からやり直してください。",
	  "Too many wrong answers in this login. Start the login again from the beginning."),
	M("pw-change-required",
	  "パスワードの変更が必要です。新しいパスワードを入力してください。",
	  "You must change your password before you can connect. Enter a new password."),
	M("pw-too-short",
	  "新しいパスワードが短すぎます。8 文字以上にしてください。",
	  "The new password is too short. Use at least 8 characters."),
	M("pw-too-simple",
	  "新しいパスワードが単純すぎます。英小文字・英大文字・数字・記号のうち 2 種類以上を混ぜてください。",
	  "The new password is too simple. Mix at least two of: lower case, upper case, digits, symbols."),
	M("pw-same-as-user",
	  "新しいパスワードがユーザー名と同じです。別のパスワードにしてください。",
	  "The new password is the same as your user name. Choose a different one."),
	M("pw-mismatch",
	  "確認用に入力したパスワードが一致しません。同じパスワードを 2 回入力してください。",
	  "The two new passwords do not match. Type the same password twice."),
	M("pw-reused",
	  "新しいパスワードが現在のパスワードと同じです。別のパスワードにしてください。",
	  "The new password is the same as the current one. Choose a different one."),
	M("pw-changed",
	  "パスワードを変更しました。",
	  "Your password has been changed."),
	/* ---- e-mail one-time code ---- */
	M("otp-sent",
	  "登録されたメールアドレスにワンタイムパスワードを送りました。メールに書かれた 6 桁の数字を入力してください。",
	  "A one-time code was sent to your registered e-mail address. Enter the 6 digits from the mail."),
	M("otp-wrong",
	  "ワンタイムパスワードが違います。メールに書かれた 6 桁の数字を入力し直してください。",
	  "Wrong one-time code. Type the 6 digits from the mail again."),
	M("otp-expired",
	  "ワンタイムパスワードの有効期限が切れています。最初からログインし直して、新しいコードを受け取ってください。",
	  "The one-time code has expired. Log in again from the beginning to get a new code."),
	M("otp-used",
	  "このワンタイムパスワードは使用済みです。最初からログインし直して、新しいコードを受け取ってください。",
	  "This one-time code has already been used. Log in again from the beginning to get a new code."),
	M("otp-rate-limited",
	  "ワンタイムパスワードの送信回数が多すぎます。しばらく待ってから再度ログインしてください。",
	  "Too many one-time codes were sent. Wait a few minutes, then log in again."),
	M("otp-send-failed",
	  "ワンタイムパスワードのメールを送れませんでした。しばらくして再度お試しいただき、続く場合は管理者に連絡してください。",
	  "The one-time code mail could not be sent. Try again later; if it keeps failing, tell your administrator."),
	M("otp-no-mail",
	  "メールアドレスが登録されていないため、ワンタイムパスワードを送れません。管理者に登録を依頼してください。",
	  "No e-mail address is registered for you, so no one-time code can be sent. Ask your administrator to register one."),
	/* ---- TOTP ---- */
	M("totp-wrong",
	  "認証アプリのコードが違います。アプリに表示されている最新の 6 桁を入力してください。端末の時刻が正しいかも確認してください。",
	  "Wrong authenticator code. Enter the current 6 digits shown in your app, and check that your device's clock is right."),
	M("totp-replay",
	  "このコードはすでに使われています。アプリに次のコードが表示されるまで待ってから入力してください。",
	  "This code has already been used. Wait for your app to show the next code, then enter it."),
	M("totp-not-enrolled",
	  "認証アプリが登録されていません。管理者に登録を依頼してください。",
	  "No authenticator app is registered for you. Ask your administrator to enrol one."),
	/* ---- client certificate ---- */
	M("cert-missing",
	  "電子証明書が提示されませんでした。この端末に電子証明書をインストールし、VPN クライアントで選択してください。",
	  "No client certificate was presented. Install your certificate on this device and select it in the VPN client."),
	M("cert-untrusted",
	  "電子証明書を確認できませんでした（発行元が違うか、失効情報を確認できません）。管理者に連絡してください。",
	  "Your client certificate could not be verified (wrong issuer, or its revocation status is unknown). Tell your administrator."),
	M("cert-expired",
	  "電子証明書の有効期限が切れています。管理者に新しい証明書の発行を依頼してください。",
	  "Your client certificate has expired. Ask your administrator for a new one."),
	M("cert-not-yet-valid",
	  "電子証明書の有効期間がまだ始まっていません。端末の時刻を確認し、続く場合は管理者に連絡してください。",
	  "Your client certificate is not valid yet. Check your device's clock; if that is right, tell your administrator."),
	M("cert-revoked",
	  "電子証明書が失効しています。管理者に新しい証明書の発行を依頼してください。",
	  "Your client certificate has been revoked. Ask your administrator for a new one."),
	M("cert-bad-usage",
	  "この電子証明書は VPN の認証に使えない種類です。VPN 用の証明書を選択してください。",
	  "This certificate is not allowed for client authentication. Select your VPN certificate."),
	M("cert-no-identity",
	  "電子証明書に利用者を特定する情報がありません。管理者に連絡してください。",
	  "Your client certificate does not name a user. Tell your administrator."),
	M("cert-ocsp-failed",
	  "電子証明書の失効確認ができませんでした。しばらくして再度お試しいただき、続く場合は管理者に連絡してください。",
	  "The revocation status of your certificate could not be checked. Try again later; if it keeps failing, tell your administrator."),
	M("cert-other-user",
	  "電子証明書が入力したユーザーのものではありません。ご自分の証明書を選択してください。",
	  "The client certificate belongs to a different user. Select your own certificate."),
	/* ---- account ---- */
	M("account-expired",
	  "アカウントの利用期間が終了しています。引き続き利用する場合は管理者に延長を依頼してください。",
	  "Your account's validity period has ended. Ask your administrator to extend it."),
	M("account-not-yet-valid",
	  "アカウントの利用期間がまだ始まっていません。利用開始日以降に接続してください。",
	  "Your account is not valid yet. Connect on or after its start date."),
	M("account-disabled",
	  "アカウントが無効になっています。管理者に連絡してください。",
	  "Your account is disabled. Contact your administrator."),
	M("outside-hours",
	  "現在は接続が許可されている時間帯ではありません。許可された時間帯に接続してください。",
	  "Connections are not allowed at this time. Connect during your permitted hours."),
	M("too-many-sessions",
	  "同時に接続できる数を超えています。他の端末の接続を切断してから再度お試しください。",
	  "You have too many connections open. Disconnect another device, then try again."),
	M("group-cert-only",
	  "このグループは電子証明書だけで認証する設定になっており、ゲートウェイがその設定を拒否しました。管理者に連絡してください（グループにパスワードなどの要素を加える必要があります）。",
	  "This group signs in with a certificate alone, which the gateway refuses. Tell your administrator (the group needs a password or code factor as well)."),
	M("group-unknown",
	  "選択したグループは存在しないか、利用が許可されていません。正しいグループを選択してください。",
	  "The selected group does not exist or you may not use it. Select a valid group."),
	/* ---- directories (LDAP / Active Directory) ---- */
	M("dir-unavailable",
	  "パスワードを確認するディレクトリ（Active Directory / LDAP / RADIUS）に接続できません。しばらくして再度お試しいただき、続く場合は管理者に連絡してください。",
	  "The directory (Active Directory / LDAP / RADIUS) that checks your password cannot be reached. Try again later; if it keeps failing, tell your administrator."),
	M("dir-no-group",
	  "ディレクトリ上のあなたのアカウントは、VPN を利用できるグループに属していません。利用が必要な場合は管理者に連絡してください。",
	  "Your directory account is not in a group that may use the VPN. If you need it, ask your administrator."),
	M("dir-local-name",
	  "このユーザー名はゲートウェイのローカルアカウントと同じため、ディレクトリのアカウントではログインできません。管理者に連絡してください（管理者には通知されています）。",
	  "This user name is also a local account of the gateway, so the directory account cannot log in with it. Contact your administrator (who has been told)."),
	M("dir-locked",
	  "ディレクトリ（Active Directory）上のアカウントがロックされています。管理者またはヘルプデスクにロック解除を依頼してください。",
	  "Your directory (Active Directory) account is locked. Ask your administrator or help desk to unlock it."),
	M("dir-pw-change",
	  "ディレクトリ上のパスワードの有効期限が切れているか、変更が必要です。社内の PC（Ctrl+Alt+Del）などでパスワードを変更してから、もう一度ログインしてください。",
	  "Your directory password has expired or must be changed. Change it (for example on a company PC with Ctrl+Alt+Del), then log in again."),
	M("dir-disabled",
	  "ディレクトリ（Active Directory）上のアカウントが無効になっています。管理者またはヘルプデスクに連絡してください。",
	  "Your directory (Active Directory) account is disabled. Contact your administrator or help desk."),
	M("dir-expired",
	  "ディレクトリ（Active Directory）上のアカウントの有効期限が切れています。管理者またはヘルプデスクに延長を依頼してください。",
	  "Your directory (Active Directory) account has expired. Ask your administrator or help desk to extend it."),
	/* the new-password form of a directory user: the directory's policy */
	M("dir-pw-policy",
	  "ディレクトリのパスワードポリシーにより、新しいパスワードは受け付けられませんでした。より長く、英大文字・小文字・数字・記号を混ぜた、以前に使っていないパスワードを入力してください。",
	  "The directory refused the new password under its password policy. Enter a longer password that mixes upper and lower case, digits and symbols, and that you have not used before."),
	/* ---- RADIUS Access-Challenge (the server asks a further answer) ---- */
	M("dir-challenge",
	  "認証サーバーが追加の入力を求めています（トークンやアプリに表示されたコードなど）。",
	  "The authentication server asks for one more answer (for example the code your token or app shows)."),
	M("dir-challenge-wrong",
	  "認証サーバーが応答を受け付けませんでした。ユーザー名とパスワードから入力し直してください。失敗が続くとアカウントは一時的にロックされます。",
	  "The authentication server did not accept the answer. Enter your user name and password again; repeated failures lock the account for a while."),
	M("dir-challenge-too-many",
	  "認証サーバーからの追加の問い合わせが多すぎるため、ログインを中止しました。管理者に連絡してください。",
	  "The authentication server asked for too many further answers, so the login was stopped. Tell your administrator."),
	/* ---- prompts (form labels) ---- */
	M("prompt-username", "ユーザー名", "Username"),
	M("prompt-password", "パスワード", "Password"),
	M("prompt-otp", "ワンタイムパスワード", "One-time code"),
	M("prompt-totp", "認証アプリのコード", "Authenticator code"),
	M("prompt-new-password", "新しいパスワード", "New password"),
	M("prompt-verify-password", "新しいパスワード（確認）", "New password (again)"),
	M("prompt-group", "グループ", "Group"),
	M("prompt-answer", "応答", "Answer"),
	/* ---- device check (after the account checks); "{}" is replaced by
	 * the device or user name (chain.c), never a format string ---- */
	M("device-registered",
	  "このデバイス（{}）を登録しました。もう一度接続してください。",
	  "This device ({}) is now registered. Please connect again."),
	M("device-unknown",
	  "このデバイスは登録されていません。管理者に連絡してください。",
	  "This device is not registered for {}. Ask your administrator."),
	M("device-disabled",
	  "このデバイスは無効にされています。管理者に連絡してください。",
	  "This device is disabled. Ask your administrator."),
	M("device-check",
	  "端末の確認ができません。接続ソフトの設定（--csd-wrapper）を確認してください。",
	  "The device check did not run; connect with the host scan wrapper (--csd-wrapper)."),
	M("hostscan-unsupported",
	  "お使いの接続ソフト（{}）は、このゲートウェイが求める端末チェックを実行できません。管理者に連絡してください。",
	  "Your VPN client ({}) cannot run the device check this gateway requires. Ask your administrator."),
	M("hostscan-wait",
	  "端末を確認しています。しばらくお待ちください。",
	  "Please wait while your device is scanned."),
	/* ---- other ---- */
	M("busy-source",
	  "お使いのネットワークアドレスから進行中のログインが多すぎます。数分待ってからもう一度お試しください。続く場合は管理者に連絡してください。",
	  "Too many logins are in progress from your network address. Wait a few minutes, then try again; if it keeps happening, tell your administrator."),
	M("busy",
	  "ゲートウェイで進行中のログインが多すぎます。数分待ってからもう一度お試しください。続く場合は管理者に連絡してください。",
	  "The gateway has too many logins in progress. Wait a few minutes, then try again; if it keeps happening, tell your administrator."),
	/* a PostgreSQL store the gateway cannot reach (issue 13): tunnels go on */
	M("store-down",
	  "ゲートウェイがいまデータベースに接続できないため、新しいログインを受け付けられません。接続中のトンネルはそのまま使えます。1 分ほど待ってからもう一度お試しください。続く場合は管理者に連絡してください。",
	  "The gateway cannot reach its database right now, so it cannot take new logins; tunnels already connected keep working. Wait a minute, then try again; if it keeps happening, tell your administrator."),
	M("internal",
	  "サーバー内部でエラーが発生しました。しばらくして再度お試しいただき、続く場合は管理者に連絡してください。",
	  "An internal error occurred on the gateway. Try again later; if it keeps happening, tell your administrator."),
};

/* for keys this table does not know (a newer caller, a typo): still says
 * what to do rather than nothing */
static const struct msg generic =
	M("unknown",
	  "ログインできませんでした。もう一度お試しいただき、続く場合は管理者に連絡してください。",
	  "The login was refused. Try again; if it keeps failing, tell your administrator.");

const char *sk_msg(const char *key, const char *lang)
{
	const struct msg *m = &generic;
	size_t i;

	if (key)
		for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
			if (!strcmp(key, msgs[i].key)) {
				m = &msgs[i];
				break;
			}
	if (!lang)
		return m->both;
	/* "ja", "ja-JP", "ja_JP.UTF-8" are Japanese; anything else English */
	if (!strncmp(lang, "ja", 2) && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_'))
		return m->ja;
	return m->en;
}
