/** otplib under jest: the local Cognito pool offers no TOTP MFA, so nothing here may be called. */
const unavailable = () => {
  throw new Error('TOTP MFA is not offered by the local Cognito pool');
};
module.exports = { generate: unavailable, generateSecret: unavailable, verify: unavailable };
