namespace EdgeStore.Commands;

/// <summary>
/// A start-up failure that is the operator's to fix (see <see cref="PlainError"/>), with the words to fix it. Its
/// <see cref="ToString"/> is the message alone, so the host's "Hosting failed to start" log line carries no stack trace.
/// </summary>
internal sealed class OperatorProblemException : Exception
{
    public OperatorProblemException()
    {
    }

    public OperatorProblemException(string message)
        : base(message)
    {
    }

    public OperatorProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public override string ToString() => Message;
}
