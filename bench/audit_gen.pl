#!/usr/bin/perl
# bench/audit_gen: realistic audit records for `ticketctl audit`, in the
# format of ngx_ticket_module/core/ticket_audit.h exactly: every member,
# in its order, compact, every string escaped as the gateway escapes.
#
#   perl bench/audit_gen.pl --bytes N [--out FILE] [--seed S]
#
# Writes whole records until at least N bytes (stdout without --out).
# Mixed events (denied, over_privilege, excess_privilege, allowed) with
# reasons and statuses that fit them, about 10,000 subjects in 40
# tenants, a few hundred locations, null identities for missing
# tickets, roles and required arrays, and some values with quotes,
# newlines, backslashes, control bytes, non-ASCII and invalid UTF-8
# (\ufffd).  Time goes forward by a few milliseconds a record.

use strict;
use warnings;
use Getopt::Long;

my ($bytes, $out, $seed) = (100 * 1024 * 1024, undef, 42);
GetOptions('bytes=s' => \$bytes, 'out=s' => \$out, 'seed=i' => \$seed)
    or die "usage: $0 --bytes N [--out FILE] [--seed S]\n";
$bytes = $1 * 1024 ** index('KMG', uc $2 ) * 1024
    if $bytes =~ /^(\d+)([KMG])$/i;
die "$0: --bytes must be a number (or 100M, 1G)\n" unless $bytes =~ /^\d+$/;

srand($seed);

# the gateway's escaping (ticket_audit.h), on bytes
sub esc {
    my ($s) = @_;
    my $o = '';
    while ($s =~ /\G(?:([\x20-\x7e])|([\xc2-\xdf][\x80-\xbf]
                 |\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}
                 |\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}
                 |[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2})
                 |(.))/gsx)
    {
        if (defined $1) {
            $o .= $1 eq '"' ? '\\"' : $1 eq '\\' ? '\\\\' : $1;
        } elsif (defined $2) {
            $o .= $2;
        } else {
            my $c = ord $3;
            $o .= $c == 10 ? '\n' : $c == 13 ? '\r' : $c == 9 ? '\t'
                : $c == 8 ? '\b' : $c == 12 ? '\f'
                : $c < 0x20 || $c == 0x7f ? sprintf('\u%04x', $c)
                : '\ufffd';
        }
    }
    return $o;
}

sub str { defined $_[0] ? '"' . esc($_[0]) . '"' : 'null' }
sub arr { '[' . join(',', map { str($_) } @{$_[0]}) . ']' }
sub pick { $_[int rand @_] }
sub hex_n { join '', map { sprintf '%x', int rand 16 } 1 .. $_[0] }

my @tenants = map { "tenant-$_" } 1 .. 39;
push @tenants, "acme \"quoted\"";
my @subjects = map { sprintf 'user-%05d', $_ } 1 .. 9950;
push @subjects, map { "svc-$_" } qw(billing export reports search mailer);
# claims a client made up: what the escaping is for
push @subjects, "eve\"},{\"event\":\"allowed", "mallory\nforged", "back\\slash",
    "tab\there", "bell\x07", "del\x7f", "jos\xc3\xa9", "\xe5\xb1\xb1\xe7\x94\xb0",
    "bad\xffutf8", "half\xc3", "emoji\xf0\x9f\x94\x91";
my %tenant_of = map { $_ => pick(@tenants) } @subjects;

my @paths = ('/v1/orders', '/v1/orders/export', '/v1/users', '/admin',
             '/admin/keys', '/v1/reports', '/v1/billing/invoices', '/health',
             '/v1/search', '/v2/documents');
my @uris = @paths;
push @uris, map { pick(@paths) . "/" . int(rand 1000) } 1 .. 300;
push @uris, "/v1/odd \"path\"", "/v1/caf\xc3\xa9", "/v1/new\nline";
my @hosts = qw(api.example.com admin.example.com internal.example.com);
my @methods = (('GET') x 6, ('POST') x 2, 'PUT', 'DELETE', 'PATCH');
my @roles = qw(reader writer admin auditor billing export support);
my @kids = qw(k2025a k2025b k2026a);
my @isss = ('https://idp.example.com', 'https://idp2.example.com');

my @denied = ((['missing', 401]) x 6, (['expired', 401]) x 5,
    ['malformed', 401], ['bad_signature', 401], ['unknown_key', 401],
    ['revoked', 401], ['alg_mismatch', 401], ['not_yet_valid', 401],
    ['wrong_issuer', 401], ['lifetime_exceeded', 401],
    ['revocation_unavailable', 503]);
my @over = ((['insufficient_role', 403]) x 5, ['claim_mismatch', 403],
    ['wrong_audience', 403], ['wrong_kind', 403], ['tenant_mismatch', 403]);

sub body {
    # everything after "request_id", and what comes before it
    my $r = rand;
    my ($event, $reason, $status);
    if ($r < 0.45) {
        ($event, $reason, $status) = ('denied', @{ pick(@denied) });
    } elsif ($r < 0.65) {
        ($event, $reason, $status) = ('over_privilege', @{ pick(@over) });
    } elsif ($r < 0.80) {
        ($event, $reason, $status) = ('excess_privilege', 'excess_privilege',
                                      pick(200, 200, 201, 204, 404));
    } else {
        ($event, $reason, $status) = ('allowed', 'ok', pick(200, 200, 201,
                                                            204, 500));
    }
    my $enforced = rand() < 0.9 ? 'true' : 'false';
    if ($enforced eq 'false' && $event ne 'allowed') {
        $status = pick(200, 204);
    }
    my $none = $reason eq 'missing';
    my $verified = ($event ne 'denied') ? 'true' : 'false';
    # skew: a few subjects make most of the noise
    my $sub = rand() < 0.3 ? $subjects[int(rand(50))] : pick(@subjects);
    my $tenant = rand() < 0.1 ? undef : $tenant_of{$sub};
    my @r = grep { rand() < 0.3 } @roles;
    my @req = ('kind:user');
    push @req, 'role:' . join('|', grep { rand() < 0.4 } @roles[0..3])
        if rand() < 0.7;
    push @req, 'aud:api|admin' if rand() < 0.3;
    push @req, "claim:dept=sales|ops" if rand() < 0.1;
    my $uri = rand() < 0.5 ? $uris[int(rand(15))] : pick(@uris);
    my $head = '"event":' . str($event) . ',"reason":' . str($reason)
        . ',"status":' . $status . ',"enforced":' . $enforced
        . ',"client":' . str(join('.', 10, int rand 256, int rand 256,
                                  1 + int rand 254))
        . ',"method":' . str(pick(@methods)) . ',"host":' . str(pick(@hosts))
        . ',"uri":' . str($uri) . ',"request_id":';
    my $tail = ',"verified":' . $verified;
    if ($none) {
        $tail .= ',"sub":null,"kind":null,"tenant":null,"jti":null,'
            . '"kid":null,"iss":null,"sid":null,"roles":[],"required":'
            . arr(\@req) . ',"token_fp":null}';
    } else {
        $tail .= ',"sub":' . str($sub)
            . ',"kind":' . str($sub =~ /^svc-/ ? 'service' : 'user')
            . ',"tenant":' . str($tenant) . ',"jti":' . str(hex_n(24))
            . ',"kid":' . str(pick(@kids)) . ',"iss":' . str(pick(@isss))
            . ',"sid":' . (rand() < 0.5 ? str('sid-' . hex_n(12)) : 'null')
            . ',"roles":' . arr(\@r) . ',"required":' . arr(\@req)
            . ',"token_fp":' . str(hex_n(16)) . '}';
    }
    return [$head, $tail];
}

my @pool = map { body() } 1 .. 50_000;
my @ids = map { hex_n(32) } 1 .. 4096;

my $fh = \*STDOUT;
if (defined $out) {
    open $fh, '>', $out or die "$0: cannot write $out: $!\n";
}
binmode $fh;

my $t = 1795000000000;                     # 2026-11-18, milliseconds
my ($written, $n, $buf) = (0, 0, '');
while ($written < $bytes) {
    $t += int rand 7;
    my ($s, $ms) = (int($t / 1000), $t % 1000);
    my @g = gmtime $s;
    my $b = $pool[int rand @pool];
    my $line = sprintf('{"time":"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",',
                       $g[5] + 1900, $g[4] + 1, @g[3, 2, 1, 0], $ms)
        . $b->[0] . '"' . $ids[$n & 4095] . substr($ids[($n >> 12) & 4095], 0, 8)
        . '"' . $b->[1] . "\n";
    $buf .= $line;
    $written += length $line;
    $n++;
    if (length $buf > 1 << 20) {
        print $fh $buf or die "$0: write: $!\n";
        $buf = '';
    }
}
print $fh $buf or die "$0: write: $!\n";
close $fh or die "$0: write: $!\n";
printf STDERR "audit_gen: %d records, %d bytes\n", $n, $written;
