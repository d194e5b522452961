namespace EdgeStore.RemoteTuning;

/// <summary>
/// One maintenance window as remote tuning carries it, in the same words as the `Maintenance:Windows` setting
/// (`Start` HH:mm local time, `Duration` like 2h or 90m, `Days` like Mon-Sun or Mon,Wed,Fri).
/// </summary>
internal sealed record MaintenanceWindowValue(string Start, string Duration, string Days);
