/// An AWS managed policy: one AWS publishes under `arn:aws:iam::aws:policy/…` for every
/// account. It can be attached like a customer managed policy but never changed or deleted.
public struct AWSManagedPolicy: Sendable {
    public let name: String
    /// `/` or, for service role policies, `/service-role/`.
    public let path: String
    /// A fixed `ANPA…` id of Swiftlet's own; AWS's ids are not published with the documents.
    public let policyId: String
    public let description: String
    /// The version AWS currently serves as the default, and the only one Swiftlet has.
    public let versionId: String
    public let createdMilliseconds: Int64
    /// When the default version was published.
    public let updatedMilliseconds: Int64
    public let document: String

    public var arn: String { "arn:aws:iam::aws:policy\(path)\(name)" }
}

/// The AWS managed policies Swiftlet serves, with AWS's own documents as published in the AWS
/// Managed Policy Reference (default versions current in early 2026).
public enum ManagedPolicies {
    public static let all: [AWSManagedPolicy] = [
        administratorAccess, lambdaBasicExecutionRole, lambdaRole, lambdaExecute, lambdaFullAccess,
        lambdaReadOnlyAccess, logsFullAccess, logsReadOnlyAccess, iamFullAccess, iamReadOnlyAccess,
    ]

    private static let byArn = Dictionary(all.map { ($0.arn, $0) }, uniquingKeysWith: { first, _ in first })

    /// The AWS managed policy with `arn`, or nil.
    public static func policy(arn: String) -> AWSManagedPolicy? {
        byArn[arn]
    }

    /// The default version's document of the AWS managed policy with `arn`, or nil: the
    /// provider `IAMStore.policyDocuments(for:awsManagedDocument:)` takes.
    public static func document(arn: String) -> String? {
        byArn[arn]?.document
    }

    /// Whether `arn` names a policy in AWS's namespace, known to Swiftlet or not.
    static func isAWSManaged(_ arn: String) -> Bool {
        arn.hasPrefix("arn:aws:iam::aws:policy/")
    }

    static let administratorAccess = AWSManagedPolicy(
        name: "AdministratorAccess", path: "/", policyId: "ANPASBYZIRI2URMZZFDKU",
        description: "Provides full access to AWS services and resources.", versionId: "v1",
        createdMilliseconds: 1_423_247_986_000, updatedMilliseconds: 1_423_247_986_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": "*",
                  "Resource": "*"
                }
              ]
            }
            """)

    static let lambdaBasicExecutionRole = AWSManagedPolicy(
        name: "AWSLambdaBasicExecutionRole", path: "/service-role/", policyId: "ANPAS4JCCWWK4EAINY4BM",
        description: "Provides write permissions to CloudWatch Logs.", versionId: "v1",
        createdMilliseconds: 1_428_591_780_000, updatedMilliseconds: 1_428_591_780_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents"
                  ],
                  "Resource": "*"
                }
              ]
            }
            """)

    static let lambdaRole = AWSManagedPolicy(
        name: "AWSLambdaRole", path: "/service-role/", policyId: "ANPA7EVTWP52ZF6UPWWQI",
        description: "Default policy for AWS Lambda service role.", versionId: "v1",
        createdMilliseconds: 1_423_248_060_000, updatedMilliseconds: 1_423_248_060_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": [
                    "lambda:InvokeFunction"
                  ],
                  "Resource": [
                    "*"
                  ]
                }
              ]
            }
            """)

    static let lambdaExecute = AWSManagedPolicy(
        name: "AWSLambdaExecute", path: "/", policyId: "ANPAR2IQBDSD2L5YRXF5Z",
        description: "Provides Put, Get access to S3 and full access to CloudWatch Logs.", versionId: "v1",
        createdMilliseconds: 1_423_248_000_000, updatedMilliseconds: 1_423_248_000_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": [
                    "logs:*"
                  ],
                  "Resource": "arn:aws:logs:*:*:*"
                },
                {
                  "Effect": "Allow",
                  "Action": [
                    "s3:GetObject",
                    "s3:PutObject"
                  ],
                  "Resource": "arn:aws:s3:::*"
                }
              ]
            }
            """)

    static let lambdaFullAccess = AWSManagedPolicy(
        name: "AWSLambda_FullAccess", path: "/", policyId: "ANPAGG6EADQESZUAMO6WB",
        description:
            "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.",
        versionId: "v5", createdMilliseconds: 1_605_647_640_000, updatedMilliseconds: 1_770_848_336_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Action": [
                    "cloudformation:DescribeStacks",
                    "cloudformation:ListStackResources",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:GetMetricData",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                    "kms:DescribeKey",
                    "kms:ListAliases",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:GetRole",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRolePolicies",
                    "iam:ListRoles",
                    "lambda:*",
                    "logs:DescribeLogGroups",
                    "states:DescribeStateMachine",
                    "states:ListStateMachines",
                    "tag:GetResources",
                    "xray:GetTraceSummaries",
                    "xray:BatchGetTraces"
                  ],
                  "Resource": "*",
                  "Effect": "Allow"
                },
                {
                  "Action": "iam:PassRole",
                  "Resource": "*",
                  "Effect": "Allow",
                  "Condition": {
                    "StringEquals": {
                      "iam:PassedToService": "lambda.amazonaws.com"
                    }
                  }
                },
                {
                  "Action": [
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                    "logs:StartLiveTail",
                    "logs:StopLiveTail"
                  ],
                  "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*",
                  "Effect": "Allow"
                },
                {
                  "Action": "iam:CreateServiceLinkedRole",
                  "Resource": "arn:aws:iam::*:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda",
                  "Effect": "Allow",
                  "Condition": {
                    "StringEquals": {
                      "iam:AWSServiceName": "lambda.amazonaws.com"
                    }
                  }
                }
              ]
            }
            """)

    static let lambdaReadOnlyAccess = AWSManagedPolicy(
        name: "AWSLambda_ReadOnlyAccess", path: "/", policyId: "ANPAGPEZAO75H6JFJPJTO",
        description:
            "Grants read-only access to AWS Lambda service, AWS Lambda console features, "
            + "and other related AWS services.",
        versionId: "v3", createdMilliseconds: 1_605_647_400_000, updatedMilliseconds: 1_742_245_620_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": [
                    "cloudformation:DescribeStacks",
                    "cloudformation:ListStacks",
                    "cloudformation:ListStackResources",
                    "cloudwatch:GetMetricData",
                    "cloudwatch:ListMetrics",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                    "kms:ListAliases",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:GetRole",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRolePolicies",
                    "iam:ListRoles",
                    "logs:DescribeLogGroups",
                    "lambda:Get*",
                    "lambda:List*",
                    "states:DescribeStateMachine",
                    "states:ListStateMachines",
                    "tag:GetResources",
                    "xray:GetTraceSummaries",
                    "xray:BatchGetTraces"
                  ],
                  "Resource": "*"
                },
                {
                  "Effect": "Allow",
                  "Action": [
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                    "logs:StartQuery",
                    "logs:StopQuery",
                    "logs:DescribeQueries",
                    "logs:GetLogGroupFields",
                    "logs:GetLogRecord",
                    "logs:GetQueryResults",
                    "logs:StartLiveTail",
                    "logs:StopLiveTail"
                  ],
                  "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*"
                }
              ]
            }
            """)

    static let logsFullAccess = AWSManagedPolicy(
        name: "CloudWatchLogsFullAccess", path: "/", policyId: "ANPAUEOPO6OSIJ2VU2MCH",
        description: "Provides full access to CloudWatch Logs", versionId: "v3",
        createdMilliseconds: 1_423_248_000_000, updatedMilliseconds: 1_747_760_826_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Action": [
                    "logs:*",
                    "cloudwatch:GenerateQuery",
                    "cloudwatch:GenerateQueryResultsSummary"
                  ],
                  "Resource": "*",
                  "Effect": "Allow",
                  "Sid": "CloudWatchLogsFullAccess"
                }
              ]
            }
            """)

    static let logsReadOnlyAccess = AWSManagedPolicy(
        name: "CloudWatchLogsReadOnlyAccess", path: "/", policyId: "ANPAPIAMXY5X657ITB6UI",
        description: "Provides read only access to CloudWatch Logs", versionId: "v8",
        createdMilliseconds: 1_423_248_000_000, updatedMilliseconds: 1_764_693_240_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Sid": "CloudWatchLogsReadOnlyAccess",
                  "Effect": "Allow",
                  "Action": [
                    "logs:Describe*",
                    "logs:Get*",
                    "logs:List*",
                    "logs:StartQuery",
                    "logs:StopQuery",
                    "logs:TestMetricFilter",
                    "logs:FilterLogEvents",
                    "logs:StartLiveTail",
                    "logs:StopLiveTail",
                    "cloudwatch:GenerateQuery",
                    "cloudwatch:GenerateQueryResultsSummary",
                    "observabilityadmin:ListS3TableIntegrations",
                    "observabilityadmin:GetS3TableIntegration",
                    "observabilityadmin:ListTelemetryPipelines"
                  ],
                  "Resource": "*"
                }
              ]
            }
            """)

    static let iamFullAccess = AWSManagedPolicy(
        name: "IAMFullAccess", path: "/", policyId: "ANPAPLRJREXJU43EIWPVP",
        description: "Provides full access to IAM via the AWS Management Console.", versionId: "v2",
        createdMilliseconds: 1_423_248_000_000, updatedMilliseconds: 1_561_146_000_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": [
                    "iam:*",
                    "organizations:DescribeAccount",
                    "organizations:DescribeOrganization",
                    "organizations:DescribeOrganizationalUnit",
                    "organizations:DescribePolicy",
                    "organizations:ListChildren",
                    "organizations:ListParents",
                    "organizations:ListPoliciesForTarget",
                    "organizations:ListRoots",
                    "organizations:ListPolicies",
                    "organizations:ListTargetsForPolicy"
                  ],
                  "Resource": "*"
                }
              ]
            }
            """)

    static let iamReadOnlyAccess = AWSManagedPolicy(
        name: "IAMReadOnlyAccess", path: "/", policyId: "ANPABT5IJNB4QRYJQWTA3",
        description: "Provides read only access to IAM via the AWS Management Console.", versionId: "v4",
        createdMilliseconds: 1_423_248_000_000, updatedMilliseconds: 1_516_907_460_000,
        document: """
            {
              "Version": "2012-10-17",
              "Statement": [
                {
                  "Effect": "Allow",
                  "Action": [
                    "iam:GenerateCredentialReport",
                    "iam:GenerateServiceLastAccessedDetails",
                    "iam:Get*",
                    "iam:List*",
                    "iam:SimulateCustomPolicy",
                    "iam:SimulatePrincipalPolicy"
                  ],
                  "Resource": "*"
                }
              ]
            }
            """)
}
