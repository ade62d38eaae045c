@echo off
rem SPDX-License-Identifier: GPL-2.0
rem sekisho-hostscan.bat: starts sekisho-hostscan.ps1 next to it with the
rem arguments the CSD wrapper was given (a CSD wrapper must be a program
rem that CreateProcess starts; a .ps1 is not).  -ExecutionPolicy
rem RemoteSigned applies to this process only and never overrides a
rem policy set by Group Policy (AllSigned: sign both .ps1 files,
rem Documentation/admin/posture.md "Signing the Windows agent").
powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File "%~dp0sekisho-hostscan.ps1" %*
exit /b %ERRORLEVEL%
