namespace EdgeStore.Storage;

/// <summary>
/// The database was written by a newer EdgeStore (its user_version is above every migration this build
/// knows) or is not an EdgeStore database. Opening it is refused rather than guessing at its layout.
/// </summary>
public sealed class UnsupportedSchemaVersionException : Exception
{
    public UnsupportedSchemaVersionException()
    {
    }

    public UnsupportedSchemaVersionException(string message)
        : base(message)
    {
    }

    public UnsupportedSchemaVersionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UnsupportedSchemaVersionException(string path, int foundVersion, int knownVersion)
        : base($"Database {path} has schema version {foundVersion}, but this EdgeStore knows versions up to {knownVersion}. " +
               "It was written by a newer EdgeStore: upgrade EdgeStore, or point Storage:Path at another file.")
    {
        Path = path;
        FoundVersion = foundVersion;
        KnownVersion = knownVersion;
    }

    public string? Path { get; }

    public int FoundVersion { get; }

    public int KnownVersion { get; }
}
