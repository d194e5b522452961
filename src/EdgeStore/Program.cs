namespace EdgeStore;

internal static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["--version"])
        {
            Console.WriteLine(typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            return 0;
        }

        Console.Error.WriteLine("usage: edgestore run [--config FILE]");
        return 2;
    }
}
