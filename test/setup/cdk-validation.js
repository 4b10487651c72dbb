// CDK runs its built-in CloudFormation template validation on every synth. In a test App it can only warn:
// without the `@aws-cdk/core:validateAgainstDefaultRules` flag its errors are downgraded to warnings in a
// report file no test reads, so no test can fail by it. It was most of each platform's synth time, and the
// unit tests synthesize a platform many times over. The templates that ship are still checked: `npm test`
// synthesizes both configs with cdk.json's flags and lints them with cfn-lint, which fails on errors.
process.env.CDK_VALIDATION ??= 'false';
