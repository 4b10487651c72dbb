import { CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { PlaybackDomain } from './vod-stack';

/** The only region whose ACM certificates CloudFront can use. */
export const CLOUDFRONT_CERTIFICATE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  /** The host learners play video from, e.g. `video.academy.example.com`. */
  readonly playbackHost: string;
  /** The parent domain's Route 53 hosted zone, which holds `playbackHost`'s validation record. */
  readonly zone: { readonly zoneName: string; readonly hostedZoneId: string };
}

/**
 * What the platform must keep in us-east-1: the certificate of the playback distribution's custom domain.
 * The distribution itself lives in the vod stack, in the platform's region, and reads the certificate's ARN
 * across regions.
 */
export class EdgeStack extends Stack {
  /** DNS-validated certificate for the playback host. */
  public readonly playbackCertificate: ICertificate;
  /** The playback host, its zone and certificate, as the vod stack takes them. */
  public readonly playbackDomain: PlaybackDomain;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    if (this.region !== CLOUDFRONT_CERTIFICATE_REGION) {
      throw new Error(`EdgeStack must be deployed to ${CLOUDFRONT_CERTIFICATE_REGION}, got ${this.region}`);
    }

    // Imported from its id and name rather than looked up, so synth needs no AWS credentials.
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', props.zone);
    this.playbackCertificate = new Certificate(this, 'PlaybackCertificate', {
      domainName: props.playbackHost,
      validation: CertificateValidation.fromDns(zone),
    });
    // Read by the vod stack in another region through Fn::GetStackOutput: the app's references are strong
    // (cdk.json), but a strong one across regions adds a Lambda-backed export writer and reader per region.
    CrossStackReferences.of(this.playbackCertificate).produce(ReferenceStrength.WEAK);
    this.playbackDomain = {
      hostName: props.playbackHost,
      zone: props.zone,
      certificate: this.playbackCertificate,
    };
  }
}
