package org.cmglab.proto.channel;

/** The CMG answered the channel upgrade with something other than 101; carries its status and reason. */
public final class ChannelRefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    public ChannelRefusedException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
