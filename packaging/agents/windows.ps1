# SPDX-License-Identifier: GPL-2.0
#
# sekisho posture agent for Windows: prints the endpoint.posture.* lines of
# report format 1 (Documentation/admin/posture.md) on standard output.
# Runs as the logged-in user without administrator rights (Windows
# PowerShell 5.1 or PowerShell 7) and reads:
#   OS         Win32_OperatingSystem: Version, BuildNumber, Caption
#   antivirus  Windows Security Center (root/SecurityCenter2
#              AntiVirusProduct): every registered product, its
#              productState bits (0x1000 enabled = running with real-time
#              protection, 0x10 definitions out of date) and its identity
#              from the Authenticode signer of pathToSignedProductExe (never
#              the display name, which is localized: ウイルスバスター クラウド);
#              Microsoft Defender (windowsdefender://) through
#              Get-MpComputerStatus: AntivirusEnabled,
#              RealTimeProtectionEnabled, AntivirusSignatureLastUpdated
#   firewall   Get-NetFirewallProfile: on when every profile is enabled
#   disk       BitLocker of the system drive without administrator rights:
#              the shell property System.Volume.BitLockerProtection
#   updates    Get-HotFix: the newest InstalledOn
# For products other than Defender, Security Center tells only whether the
# definitions are current; the agent then reports today's date as the
# definitions date when they are, and no date when they are not (the
# gateway says "the date could not be read, update the definitions").
# What the agent says is the machine's claim: the gateway checks it
# against the group's policy, it does not prove it.
#
# NOT RUN ON WINDOWS by this project: the development machines have no
# Windows.  Its syntax is checked with the tree-sitter PowerShell grammar
# (tests/posture/agents-test.sh); see posture.md for what was and was not
# run.  An organisation with an AllSigned execution policy signs it
# (Set-AuthenticodeSignature, posture.md "Signing the Windows agent").

$ErrorActionPreference = 'SilentlyContinue'
try { [Console]::OutputEncoding = [System.Text.Encoding]::UTF8 } catch { }

function Out-Line([string]$Key, [string]$Value) {
	[Console]::Out.Write("endpoint.posture.$Key=`"$Value`";`n")
}
# a value: no quotes, backslashes or control characters, bounded
function Get-Clean([string]$Text, [int]$Max = 90) {
	if ($null -eq $Text) { return '' }
	$t = ($Text -replace '["\\]', '') -replace '[\x00-\x1f\x7f]', ''
	if ($t.Length -gt $Max) { $t = $t.Substring(0, $Max) }
	return $t
}
# an identity token: a-z 0-9 . _ -
function Get-Token([string]$Text) {
	if ($null -eq $Text) { return '' }
	$t = ($Text.ToLowerInvariant() -replace '[^a-z0-9._-]', '')
	if ($t.Length -gt 32) { $t = $t.Substring(0, 32) }
	return $t
}
function Get-Day($Date) {
	if ($null -eq $Date) { return '' }
	return ([datetime]$Date).ToUniversalTime().ToString('yyyy-MM-dd', [Globalization.CultureInfo]::InvariantCulture)
}
function Get-Bool([bool]$Value) { if ($Value) { 'true' } else { 'false' } }

# the vendor/product identity of a signed executable (the signer's O=)
function Get-Identity([string]$Path) {
	if ($Path -like 'windowsdefender:*') { return @('microsoft', 'defender') }
	$exe = [Environment]::ExpandEnvironmentVariables($Path)
	$sig = Get-AuthenticodeSignature -FilePath $exe
	$org = ''
	if ($sig -and $sig.Status -eq 'Valid' -and $sig.SignerCertificate) {
		if ($sig.SignerCertificate.Subject -match 'O="?([^",]+)') { $org = $Matches[1] }
	}
	$product = Get-Token ([IO.Path]::GetFileNameWithoutExtension($exe))
	switch -Regex ($org) {
		'^Microsoft' { return @('microsoft', $product) }
		'^Trend Micro' { return @('trendmicro', $product) }
		'NortonLifeLock|Gen Digital|Symantec' { return @('norton', $product) }
		'^McAfee' { return @('mcafee', $product) }
		'^ESET' { return @('eset', $product) }
		'Webroot' { return @('webroot', $product) }
		'.+' { return @((Get-Token (($org -split ' ')[0])), $product) }
	}
	return @('', $product)
}

Out-Line 'format' '1'
Out-Line 'agent' 'windows-1.0'
Out-Line 'os.family' 'windows'
$os = Get-CimInstance -ClassName Win32_OperatingSystem
if ($os) {
	if ($os.Version -match '^(\d+)\.(\d+)') { Out-Line 'os.version' "$($Matches[1]).$($Matches[2])" }
	if ($os.BuildNumber -match '^\d{1,9}$') { Out-Line 'os.build' $os.BuildNumber }
	Out-Line 'os.name' (Get-Clean $os.Caption)
}

# ---- antivirus ----
$today = Get-Day (Get-Date)
$n = 0
foreach ($p in @(Get-CimInstance -Namespace 'root/SecurityCenter2' -ClassName AntiVirusProduct)) {
	if ($null -eq $p -or $n -ge 8) { continue }
	$id = Get-Identity ([string]$p.pathToSignedProductExe)
	$vendor = $id[0]
	$product = $id[1]
	if (-not $vendor) { continue }
	$key = Get-Token "$vendor-$product"
	$state = [int]$p.productState
	$enabled = ($state -band 0x1000) -ne 0
	$current = ($state -band 0x10) -eq 0
	$defs = ''
	if ($vendor -eq 'microsoft' -and $product -eq 'defender') {
		$mp = Get-MpComputerStatus
		if ($mp) {
			$enabled = [bool]$mp.AntivirusEnabled -and [bool]$mp.RealTimeProtectionEnabled
			$defs = Get-Day $mp.AntivirusSignatureLastUpdated
		}
	} elseif ($current) {
		$defs = $today
	}
	Out-Line "av[`"$key`"].vendor" $vendor
	Out-Line "av[`"$key`"].product" $product
	Out-Line "av[`"$key`"].name" (Get-Clean $p.displayName 60)
	Out-Line "av[`"$key`"].installed" 'true'
	Out-Line "av[`"$key`"].running" (Get-Bool $enabled)
	Out-Line "av[`"$key`"].realtime" (Get-Bool $enabled)
	if ($defs) { Out-Line "av[`"$key`"].definitions" $defs }
	$n++
}

# ---- firewall ----
$profiles = @(Get-NetFirewallProfile)
if ($profiles.Count -gt 0) {
	$off = @($profiles | Where-Object { -not $_.Enabled }).Count
	Out-Line 'firewall' (Get-Bool ($off -eq 0))
}

# ---- BitLocker of the system drive (no administrator rights needed) ----
$drive = $env:SystemDrive
$shell = New-Object -ComObject Shell.Application
if ($shell -and $drive) {
	$item = $shell.NameSpace(17).ParseName($drive)
	if ($item) {
		$bl = $item.ExtendedProperty('System.Volume.BitLockerProtection')
		# 1 on, 6 on (locked); 0 not encryptable, 2 off; 3, 4, 5 in between
		$enc = $null
		if ($bl -eq 1 -or $bl -eq 6) { $enc = 'true' } elseif ($bl -eq 0 -or $bl -eq 2) { $enc = 'false' }
		if ($enc -and $drive -match '^[A-Za-z]:$') {
			Out-Line "disk[`"$drive`"].system" 'true'
			Out-Line "disk[`"$drive`"].encrypted" $enc
		}
	}
}

# ---- the last installed update ----
$last = Get-HotFix | Where-Object { $_.InstalledOn } | Sort-Object InstalledOn -Descending | Select-Object -First 1
if ($last) { Out-Line 'update.last' (Get-Day $last.InstalledOn) }
exit 0
