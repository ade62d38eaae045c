# SPDX-License-Identifier: GPL-2.0
#
# sekisho-hostscan.ps1: the host scan (CSD) wrapper for Windows, the role
# sekisho-hostscan.sh plays on Linux and macOS.  sekisho-hostscan.bat next
# to it starts it (a CSD wrapper must be a program that CreateProcess can
# start; a .ps1 is not):
#
#   openconnect --csd-wrapper C:\...\sekisho-hostscan.bat https://vpn.example.jp/
#
# It is called with the arguments and environment openconnect gives a CSD
# wrapper on Linux: -ticket "T" -stub "0" -group "G" -certhash "..." -url
# "https://HOST/..." -langselen, and CSD_TOKEN, CSD_HOSTNAME, CSD_SHA256
# (the base64 SHA-256 of the gateway's public key).  It asks the gateway
# for the scan token (token.xml?ticket=), then posts one report in the
# AnyConnect host scan syntax (endpoint.PATH="VALUE"; a line) to scan.xml
# with the cookie sdesktop=TOKEN:
#   the OS, the host name,
#   endpoint.device.id: $env:SEKISHO_DEVICE_ID, else the BIOS serial
#     number (Win32_BIOS), else the MachineGuid of the registry;
#   endpoint.device.MAC["xxxx.xxxx.xxxx"]: one per physical adapter;
#   endpoint.posture.*: what agents\windows.ps1 next to this file prints
#     (report format 1, Documentation/admin/posture.md).
# Both requests go through curl.exe (in System32 since Windows 10 1803),
# pinned to the gateway's key with --pinnedpubkey as the Linux wrapper
# does; Schannel, curl.exe's TLS on Windows, supports pinning.
#
# WHAT RUNS IT: openconnect's own Windows builds (command line 9.x and
# OpenConnect-GUI) do not run any CSD wrapper: libopenconnect answers a
# host scan request on Windows with "Running the 'Cisco Secure Desktop'
# trojan on this platform is not yet implemented" and the login stops.
# This wrapper is for a Windows client that runs CSD wrappers the way
# openconnect does on Linux (its arguments and environment above), and it
# is what a helpdesk runs to see the report (-PrintOnly, no gateway).
# NOT RUN ON WINDOWS by this project: see posture.md, "Clients".
#
# Exit status: 0 the report was accepted; 1 it was not (the reason on
# standard error); openconnect logs a non-zero status and goes on.

param([string]$ticket = '', [string]$stub = '0', [string]$group = '', [string]$certhash = '',
	[string]$url = '', [switch]$langselen, [switch]$PrintOnly)

$ErrorActionPreference = 'SilentlyContinue'
try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch { }

function Write-Say([string]$Text) { [Console]::Error.WriteLine("sekisho-hostscan: $Text") }
# a value in the report: no quotes, backslashes or control characters, one line
function Get-Clean([string]$Text) {
	if ($null -eq $Text) { return '' }
	$t = ($Text -replace '["\\]', '') -replace '[\x00-\x1f\x7f]', ''
	if ($t.Length -gt 120) { $t = $t.Substring(0, 120) }
	return $t
}

# ---- the report ----
$lines = New-Object System.Collections.Generic.List[string]
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$lines.Add("endpoint.os.version=`"$(Get-Clean $os.Caption)`";")
$lines.Add("endpoint.os.servicepack=`"$(Get-Clean $os.BuildNumber)`";")
$lines.Add("endpoint.os.architecture=`"$(Get-Clean $env:PROCESSOR_ARCHITECTURE)`";")
$lines.Add('endpoint.policy.location="Default";')
$lines.Add("endpoint.device.hostname=`"$(Get-Clean $env:COMPUTERNAME)`";")

$id = [string]$env:SEKISHO_DEVICE_ID
if (-not $id) {
	$id = [string](Get-CimInstance -ClassName Win32_BIOS).SerialNumber
	# firmware placeholders are no identity
	if ($id -match '^\s*$|^(0+|Default string|To be filled by O\.E\.M\.|System Serial Number)$') { $id = '' }
}
if (-not $id) {
	$id = [string](Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Cryptography' -Name MachineGuid).MachineGuid
}
$id = Get-Clean $id.Trim()
if ($id) { $lines.Add("endpoint.device.id=`"$id`";") }

$nmac = 0
foreach ($a in @(Get-CimInstance -ClassName Win32_NetworkAdapter -Filter 'PhysicalAdapter = TRUE')) {
	# AA:BB:CC:DD:EE:FF -> aabb.ccdd.eeff (the Cisco form)
	$c = ([string]$a.MACAddress).ToLowerInvariant() -replace '[:-]', ''
	if ($c -notmatch '^[0-9a-f]{12}$' -or $c -eq '000000000000' -or $nmac -ge 16) { continue }
	$lines.Add("endpoint.device.MAC[`"$($c.Substring(0, 4)).$($c.Substring(4, 4)).$($c.Substring(8, 4))`"]=`"true`";")
	$nmac++
}

# the posture block from the agent next to this wrapper, run as a child
# of the same PowerShell (its lines are written to the process's standard
# output, which a child's capture reads; UTF-8 both ways)
$agent = Join-Path $PSScriptRoot 'agents\windows.ps1'
if (Test-Path -LiteralPath $agent) {
	$shell = (Get-Process -Id $PID).Path
	$out = & $shell -NoLogo -NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File $agent
	$n = 0
	foreach ($l in @($out)) {
		if ([string]$l -match '^endpoint\.posture\.' -and $n -lt 200) { $lines.Add([string]$l); $n++ }
	}
	if ($n -eq 0) { Write-Say "the posture agent $agent printed nothing" }
} else {
	Write-Say "no posture agent at $agent: the report has no posture block"
}
$report = ($lines -join "`n") + "`n"

if ($PrintOnly) {
	[Console]::Out.Write($report)
	exit 0
}

# ---- the gateway ----
$gw = [string]$env:CSD_HOSTNAME
if (-not $gw) { Write-Say 'CSD_HOSTNAME is not set (run me from openconnect --csd-wrapper)'; exit 1 }
$ticket = $ticket.Trim('"')
$stub = $stub.Trim('"')
$url = $url.Trim('"')
if ($ticket -notmatch '^[A-Za-z0-9_-]+$') { Write-Say 'bad or missing -ticket'; exit 1 }
if ($stub -notmatch '^[0-9]+$') { $stub = '0' }
# -url carries the port when the gateway is not on 443; CSD_HOSTNAME does not
$base = "https://$gw"
if ($url -match '^https://([^/]+)/') {
	$auth = $Matches[1]
	if ($auth -eq $gw -or $auth -match "^$([regex]::Escape($gw)):[0-9]+$") { $base = "https://$auth" }
}

$curl = Join-Path $env:SystemRoot 'System32\curl.exe'
if (-not (Test-Path -LiteralPath $curl)) { Write-Say "no $curl (Windows 10 1803 or later has it)"; exit 1 }
$common = @('-s', '--max-time', '30', '--proto', '=https')
if ($env:CSD_SHA256) {
	# -k: the pinned key is the check (the gateway may use a private CA)
	$common += @('-k', '--pinnedpubkey', "sha256//$($env:CSD_SHA256)")
}

$xml = (& $curl @common "$base/+CSCOE+/sdesktop/token.xml?ticket=$ticket&stub=$stub") -join "`n"
$token = ''
if ($xml -match '<token>([A-Za-z0-9_-]+)</token>') { $token = $Matches[1] }
if (-not $token) { $token = [string]$env:CSD_TOKEN }
if ($token -notmatch '^[A-Za-z0-9_-]+$') { Write-Say 'no scan token from the gateway'; exit 1 }

$file = [IO.Path]::GetTempFileName()
try {
	[IO.File]::WriteAllText($file, $report, (New-Object System.Text.UTF8Encoding $false))
	$answer = & $curl @common -H 'Content-Type: text/xml' -H "Cookie: sdesktop=$token" -H 'Expect:' `
		--data-binary "@$file" -w "`n%{http_code}" "$base/+CSCOE+/sdesktop/scan.xml?reusebrowser=1"
} finally {
	Remove-Item -LiteralPath $file -Force
}
$answer = @($answer)
$code = if ($answer.Count -gt 0) { [string]$answer[-1] } else { '' }
if ($code -ne '200') {
	Write-Say "the gateway refused the report (HTTP $code): $(($answer | Select-Object -SkipLast 1) -join ' ')"
	exit 1
}
Write-Say "report sent (device id $(if ($id) { $id } else { 'none' }), $nmac MAC address(es))"
exit 0
