; Inno Setup script: per-user install of the one-folder build in dist\HybridCoder.
; Build:  iscc /DAppVersion=0.1.0 installers\windows\hybridcoder.iss   (after ./scripts/build on Windows)
; Output: dist\HybridCoder-Setup-<version>.exe
;
; - installs for the current user only (no admin prompt; the dialog offers all users if wanted),
; - Start menu entry, optional desktop icon, optional "start when I sign in" (HKCU Run key),
; - the uninstaller removes the program; your settings, usage history and keys stay unless you tick
;   yes to "also delete your Hybrid Coder data" (keys stay in Windows Credential Manager either way).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Hybrid Coder"
#define AppExe "HybridCoder.exe"

[Setup]
; Never change the AppId: it is how upgrades find the installed copy.
AppId={{6F1C2B9E-7D4A-4E8B-9C21-5A3D8E0B7F64}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Hybrid Coder
DefaultDirName={autopf}\HybridCoder
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=HybridCoder-Setup-{#AppVersion}
SetupIconFile=..\..\build\icons\hybridcoder.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "Create a &desktop icon"; Flags: unchecked
Name: "startatlogin"; Description: "&Start Hybrid Coder when I sign in"; Flags: unchecked

[Files]
Source: "..\..\dist\HybridCoder\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The same key the app's own "start at login" setting writes (autostart.py), so either can undo it.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "Hybrid Coder"; \
  ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName} now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{cmd}"; Parameters: "/C taskkill /IM {#AppExe} /F"; Flags: runhidden; RunOnceId: "StopApp"

[Code]
var
  DeleteData: Boolean;

function InitializeUninstall(): Boolean;
begin
  Result := True;
  DeleteData := False;
  if not UninstallSilent() then
    DeleteData := MsgBox('Also delete your Hybrid Coder data (settings, usage history, logs)?' + #13#10 +
      'Choose No to keep it for a later install.', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DeleteData then
  begin
    { platformdirs folders: %LOCALAPPDATA%\HybridCoder (data, logs, cache) and %APPDATA%\HybridCoder (config) }
    DelTree(ExpandConstant('{localappdata}\HybridCoder'), True, True, True);
    DelTree(ExpandConstant('{userappdata}\HybridCoder'), True, True, True);
  end;
end;
