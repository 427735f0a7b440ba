package com.amazonaws.services.lambda.runtime;

/** The Amazon Cognito identity that authorized an invoke made through an AWS Mobile SDK. */
public interface CognitoIdentity {

    String getIdentityId();

    String getIdentityPoolId();
}
