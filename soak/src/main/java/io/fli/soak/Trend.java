package io.fli.soak;

/**
 * An ordinary least-squares line through (x, y) points and the 95% confidence interval of its slope (Student's t
 * with n - 2 degrees of freedom): the soak's leak test. A trend fails a limit only when the whole interval lies
 * above it, so noise in a short run does not fail it, and a real leak fails it as soon as the data can show it.
 *
 * @param n         points used
 * @param slope     the least-squares slope (y units per x unit)
 * @param halfWidth half the 95% confidence interval of the slope (NaN with fewer than 3 points)
 */
public record Trend(int n, double slope, double halfWidth) {
    /** t quantiles (0.975) for 1..30 degrees of freedom; 1.96 beyond. */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
        2.056, 2.052, 2.048, 2.045, 2.042};

    public static Trend of(double[] x, double[] y) {
        int n = x.length;
        if (n != y.length) {
            throw new IllegalArgumentException("x and y differ in length");
        }
        if (n < 2) {
            return new Trend(n, Double.NaN, Double.NaN);
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        if (sxx == 0) {
            return new Trend(n, Double.NaN, Double.NaN);
        }
        double b = sxy / sxx;
        if (n < 3) {
            return new Trend(n, b, Double.NaN);
        }
        double a = my - b * mx;
        double sse = 0;
        for (int i = 0; i < n; i++) {
            double r = y[i] - a - b * x[i];
            sse += r * r;
        }
        double se = Math.sqrt(sse / (n - 2) / sxx);
        int df = n - 2;
        double t = df <= T975.length ? T975[df - 1] : 1.96;
        return new Trend(n, b, t * se);
    }

    public double lower() {
        return slope - halfWidth;
    }

    public double upper() {
        return slope + halfWidth;
    }

    /** Whether the slope is shown to exceed {@code limit}: the 95% interval lies wholly above it. */
    public boolean exceeds(double limit) {
        return !Double.isNaN(halfWidth) && lower() > limit;
    }
}
